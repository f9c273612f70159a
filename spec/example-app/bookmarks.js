// Bookmarks: the example app of the developer guide (spec/apps.md §4).
// It runs on its own origin, bookmarks.<user>.<domain>, with the keys of
// the one doctype its grant gives it.
// Hearth's app kit (/hearth-kit.js, beside /hearth.js) opens the app and
// keeps the list live.
import { $, el, live, show, startApp } from "/hearth-kit.js";

const DOCTYPE = "org.example.bookmarks";
const marks = new Map(); // id → { title, url }

const fail = (err) => show($("#msg"), (err && err.message) || String(err));

// Only web addresses become links: a stored value is data, never script.
function safeURL(s) {
  try {
    const u = new URL(String(s));
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch {
    return null;
  }
}

function render() {
  const items = [...marks.entries()].sort((a, b) => a[1].title.localeCompare(b[1].title));
  $("#list").replaceChildren(...items.map(([id, m]) => {
    const href = safeURL(m.url);
    const title = el(href ? "a" : "span", { textContent: m.title || m.url });
    if (href) Object.assign(title, { href, rel: "noopener noreferrer", target: "_blank" });
    const del = el("button", { className: "secondary", textContent: "Remove" });
    del.addEventListener("click", () => app.delete(DOCTYPE, id).catch(fail));
    return el("li", { className: "bookmark" },
      el("div", { className: "grow" }, title, el("div", { className: "muted small", textContent: m.url })), del);
  }));
  $("#empty").hidden = marks.size > 0;
}

function keep(id, value) {
  const v = value && typeof value === "object" ? value : {};
  marks.set(id, { title: String(v.title ?? ""), url: String(v.url ?? "") });
}

// startApp resumes this app's grant, or connects it through Home (which
// asks the person the first time) and comes back here; it fills in the
// header, and connects again when the access ends (uninstalled, updated,
// or signed out).
const app = await startApp("bookmarks");
window.bookmarks = app; // the handle, to try the API from the console

// live lists the bookmarks, then keeps them in step with this tab's writes,
// other tabs' and other devices'.
await live(app, DOCTYPE, {
  keep: (d) => keep(d.id, d.value),
  drop: (id) => marks.delete(id),
  draw: render,
  onError: fail,
  failed: fail, // a list that fails: say so, and go on
});

$("#add").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  try {
    const field = (name) => f.elements.namedItem(name).value.trim();
    const value = { title: field("title"), url: field("url") };
    const { id } = await app.create(DOCTYPE, value);
    keep(id, value);
    render();
    f.reset();
  } catch (err) {
    fail(err);
  }
});
document.body.dataset.ready = "true";
