// Bookmarks: the example app of the developer guide (spec/apps.md §4).
// It runs on its own origin, bookmarks.<user>.<domain>, with the keys of
// the one doctype its grant gives it.
import { Hearth } from "/hearth.js";

const DOCTYPE = "org.example.bookmarks";
const $ = (sel) => document.querySelector(sel);
const marks = new Map(); // id → { title, url }

function fail(err) {
  $("#msg").textContent = (err && err.message) || String(err);
  $("#msg").hidden = false;
}

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
    const li = document.createElement("li");
    li.className = "bookmark";
    const text = document.createElement("div");
    text.className = "grow";
    const href = safeURL(m.url);
    const title = document.createElement(href ? "a" : "span");
    title.textContent = m.title || m.url;
    if (href) Object.assign(title, { href, rel: "noopener noreferrer", target: "_blank" });
    text.append(title, Object.assign(document.createElement("div"), { className: "muted small", textContent: m.url }));
    const del = Object.assign(document.createElement("button"), { className: "secondary", textContent: "Remove" });
    del.addEventListener("click", () => app.delete(DOCTYPE, id).catch(fail));
    li.append(text, del);
    return li;
  }));
  $("#empty").hidden = marks.size > 0;
}

function keep(id, value) {
  const v = value && typeof value === "object" ? value : {};
  marks.set(id, { title: String(v.title ?? ""), url: String(v.url ?? "") });
}

// openApp resumes this app's grant, or connects it through Home (which asks
// the person the first time) and comes back here.
const app = await Hearth.openApp({ slug: "bookmarks" });
app.onsessionended = () => app.reconnect(); // uninstalled, updated, or signed out: connect again
window.bookmarks = app; // the handle, to try the API from the console
$("#who").textContent = app.user;
$("#home-link").href = app.home;

try {
  for (const d of await app.list(DOCTYPE)) keep(d.id, d.value);
} catch (err) {
  fail(err);
}
render();
app.subscribe([DOCTYPE], (ch) => {
  if (ch.deleted) marks.delete(ch.id);
  else keep(ch.id, ch.value);
  render();
}, fail);

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
