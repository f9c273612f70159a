// Bookmarks: the example app of the developer guide (spec/apps.md §4).
// It runs on its own origin, bookmarks.<user>.<domain>, with the keys of
// the one doctype its grant gives it.
// Hearth's app kit (/hearth-kit.js, beside /hearth.js) opens the app and
// keeps the list live; /values.js reads what another app may have written
// as data of any shape (spec/apps.md §4.2).
import { $, el, live, show, startApp, sayer, appWords, deleteMalformed } from "/hearth-kit.js";
import { isObject, notText, text, notA, clip, flaggedRow } from "/values.js";

const DOCTYPE = "org.example.bookmarks";
const marks = new Map(); // id → { title, url }, or { bad: why it cannot be shown }

const say = sayer(appWords, { not_found: "This bookmark no longer exists." });
const fail = (err) => show($("#msg"), say(err));

// read takes a stored value as data: an object whose title and address
// are text, else a row flagged as malformed (with a Delete).
function read(v) {
  if (!isObject(v)) return { bad: notA(v, "a bookmark") };
  if (notText(v.title)) return { bad: "its title is not text" };
  if (notText(v.url)) return { bad: "its address is not text" };
  return { title: text(v.title), url: text(v.url) };
}

// Only web addresses become links: a stored value is data, never script.
function safeURL(s) {
  try {
    const u = new URL(s);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch {
    return null;
  }
}

function render() {
  const items = [...marks.entries()].sort((a, b) => (a[1].title ?? "").localeCompare(b[1].title ?? ""));
  $("#list").replaceChildren(...items.map(([id, m]) => {
    if (m.bad) {
      return flaggedRow("This bookmark could not be shown", m.bad,
        () => deleteMalformed(app, DOCTYPE, id, "bookmark", () => { marks.delete(id); render(); }, fail));
    }
    const href = safeURL(m.url);
    const title = el(href ? "a" : "span", { textContent: clip(m.title || m.url, 300) });
    if (href) Object.assign(title, { href, rel: "noopener noreferrer", target: "_blank" });
    const del = el("button", { className: "secondary", textContent: "Remove" });
    del.addEventListener("click", () => app.delete(DOCTYPE, id).catch(fail));
    return el("li", { className: "bookmark" },
      el("div", { className: "grow" }, title, el("div", { className: "muted small", textContent: m.url })), del);
  }));
  $("#empty").hidden = marks.size > 0;
}

function keep(id, value) {
  marks.set(id, read(value));
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
