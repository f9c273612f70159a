// tasks-view.js — the rows of Tasks' lists, built from what tasks-model.js
// read: a task's checkbox, title, due date, handle and delete button, and
// the form that edits it. Text is never parsed as HTML; what a row does is
// given by the caller (on).
import { el } from "./hearth-kit.js";
import { clip } from "./values.js";
import { dueWords } from "./tasks-model.js";

const SVG = "http://www.w3.org/2000/svg";
export const icons = {
  grip: "M9 6h.01M15 6h.01M9 12h.01M15 12h.01M9 18h.01M15 18h.01",
  close: "M6 6l12 12M18 6 6 18",
  chevron: "M9 6l6 6-6 6",
  warn: "M12 3.5 21.5 20h-19zM12 10v4.5M12 17.5h.01",
  calendar: "M4.5 6.5h15v13h-15zM4.5 10.5h15M8.5 4v4M15.5 4v4",
  menu: "M4 7h16M4 12h16M4 17h16",
};

/** icon is an SVG drawing of one of icons, hidden from screen readers. */
export function icon(name) {
  const s = document.createElementNS(SVG, "svg");
  s.setAttribute("viewBox", "0 0 24 24");
  s.setAttribute("aria-hidden", "true");
  s.setAttribute("focusable", "false");
  s.classList.add("icon-" + name);
  const p = document.createElementNS(SVG, "path");
  p.setAttribute("d", icons[name]);
  s.append(p);
  return s;
}

/** attrs sets attributes (aria-*, data-*) on e and returns it. */
export function attrs(e, a) {
  for (const [k, v] of Object.entries(a)) e.setAttribute(k, v);
  return e;
}

let seq = 0;

/** titleOf is a task's title as a row shows it. */
export const titleOf = (t) => clip(t.title, 500) || "Untitled task";

/**
 * taskRow is the row of task t (id): the checkbox (labelled by the title),
 * the title, a button that opens the task's form, its due date in words
 * (today: YYYY-MM-DD), a handle to move it (movable), and a delete
 * button. edit, when given, is the form under it (editForm).
 * @param {string} id
 * @param {object} t
 * @param {{ today: string, movable: boolean, open: boolean }} o
 * @param {{ done: (id: string, done: boolean) => void, open: (id: string) => void, remove: (id: string) => void }} on
 * @param {HTMLElement} [edit]
 */
export function taskRow(id, t, o, on, edit) {
  const li = el("li", { className: "task" + (t.done ? " done" : "") });
  li.dataset.id = id;
  const tid = "task-title-" + ++seq;
  const name = titleOf(t);
  const box = attrs(el("input", { type: "checkbox", checked: t.done }), { "aria-labelledby": tid, "data-key": "check:" + id });
  box.addEventListener("change", () => on.done(id, box.checked));
  const open = attrs(el("button", { type: "button", className: "task-open" },
    el("span", { className: "task-title" + (t.title ? "" : " muted"), id: tid, textContent: name })),
  { "aria-expanded": String(o.open), "data-key": "open:" + id });
  if (t.due) {
    const w = dueWords(t.due, o.today, t.done);
    const due = el("span", { className: "due" + (w.overdue ? " overdue" : w.soon ? " soon" : "") },
      icon(w.overdue ? "warn" : "calendar"), el("span", { className: "sr-only", textContent: "Due: " }), w.text);
    due.dataset.due = t.due;
    open.append(due);
  }
  open.addEventListener("click", () => on.open(id));
  const row = el("div", { className: "task-row" }, box, open);
  if (o.movable) {
    row.append(attrs(el("button", { type: "button", className: "icon handle" }, icon("grip")),
      { "aria-label": "Move: " + clip(name, 80), "aria-describedby": "move-help", "data-key": "move:" + id }));
  }
  const del = attrs(el("button", { type: "button", className: "icon remove" }, icon("close")),
    { "aria-label": "Delete: " + clip(name, 80), "data-key": "del:" + id });
  del.addEventListener("click", () => on.remove(id));
  row.append(del);
  li.append(row);
  if (edit) li.append(edit);
  return li;
}

/**
 * editForm is the form that edits a task: its title, its due date (Clear
 * date empties it) and its list (lists: [[id, name]]). draft holds what is
 * typed, kept across redraws until Save (save(draft)) or Close (close()).
 * @param {string} id
 * @param {{ title: string, due: string, list: string }} draft
 * @param {Array<[string, string]>} lists
 * @param {{ save: (draft: object) => void, close: () => void }} on
 */
export function editForm(id, draft, lists, on) {
  const f = el("form", { className: "task-edit" });
  f.dataset.edit = id;
  const title = attrs(el("input", { name: "title", value: draft.title, required: true, maxLength: 2000 }), { "data-key": "edit-title:" + id });
  const due = attrs(el("input", { type: "date", name: "due", value: draft.due }), { "data-key": "edit-due:" + id });
  const list = attrs(el("select", { name: "list" }), { "data-key": "edit-list:" + id });
  for (const [lid, lname] of lists) list.append(el("option", { value: lid, textContent: clip(lname, 80), selected: lid === draft.list }));
  const clear = attrs(el("button", { type: "button", className: "secondary", textContent: "Clear date" }), { "data-key": "edit-clear:" + id });
  const close = attrs(el("button", { type: "button", className: "secondary", textContent: "Close" }), { "data-key": "edit-close:" + id });
  title.addEventListener("input", () => { draft.title = title.value; });
  due.addEventListener("input", () => { draft.due = due.value; });
  due.addEventListener("change", () => { draft.due = due.value; });
  list.addEventListener("change", () => { draft.list = list.value; });
  clear.addEventListener("click", () => { due.value = ""; draft.due = ""; due.focus(); });
  close.addEventListener("click", on.close);
  f.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.preventDefault(); on.close(); } });
  f.addEventListener("submit", (e) => { e.preventDefault(); on.save(draft); });
  f.append(el("label", { className: "wide" }, "Title", title),
    el("div", { className: "row" }, el("label", {}, "Due date", due), clear),
    el("label", {}, "List", list),
    el("div", { className: "row actions" }, attrs(el("button", { type: "submit", textContent: "Save" }), { "data-key": "edit-save:" + id }), close));
  return f;
}
