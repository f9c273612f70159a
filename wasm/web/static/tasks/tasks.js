// Tasks: to-do lists (spec/tasks.md), kept in step with other tabs and
// devices. Several lists, due dates, done tasks gathered in a Done section
// that folds, reordering by dragging or from the keyboard (one write per
// move), and a quiet delete with Undo. It serves the intent "create a
// task" (spec/apps.md §5): another app (Notes) asks through Home, and the
// person finishes here.
import { $, appWords, ask, deleteMalformed, el, live, openLinks, sayer, show, startApp } from "./hearth-kit.js";
import { clip, flaggedRow, isObject, text } from "./values.js";
import { between, byDone, byOrder, dayOf, DEFAULT_LIST, DEFAULT_NAME, DOCTYPE, dueGroups, read, STEP } from "./tasks-model.js";
import { sortable } from "./tasks-drag.js";
import { attrs, editForm, icon, taskRow, titleOf } from "./tasks-view.js";

const docs = new Map(); // id → read(value): a task, a list, another kind, or { bad, what }
// Writes of this page still under way, and the revisions known, by id: a
// change the feed brings back from an earlier write of this page must not
// undo a later one shown already (two quick moves).
const writing = new Map(); // id → { n: writes under way, rev: the highest known, held: a change that came meanwhile }
let app;
let current = localStorage.getItem("tasks:list") || DEFAULT_LIST; // the list shown (it may not exist: shownList)
let editing = null;     // { id, draft } of the task whose form is open
let dragging = false;   // a drag is under way: drawing waits for the drop

const say = sayer(appWords, { not_found: "That task or list no longer exists." });
const fail = (err) => show($("#msg"), say(err));
const announce = (words) => { $("#live").textContent = ""; setTimeout(() => { $("#live").textContent = words; }, 50); };
const pref = (name, list) => "tasks:" + name + ":" + (list || "default");

// ---- what is stored ----

/** lists is every list, the default first, then by order and name: [[id, name]]. */
function lists() {
  const out = [...docs].filter(([, d]) => d.kind === "list")
    .sort((a, b) => (a[1].order - b[1].order) || a[1].name.localeCompare(b[1].name) || (a[0] < b[0] ? -1 : 1))
    .map(([id, d]) => [id, d.name]);
  return [[DEFAULT_LIST, DEFAULT_NAME], ...out];
}

/** taken is the list other than except already called name (case and accents aside), or undefined. */
const fold = (s) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
const taken = (name, except) => lists().find(([id, n]) => id !== except && fold(n) === fold(name));

/** listOf is the list a task shows in: its own, or the default when that is not here. */
const listOf = (t) => (t.list && docs.get(t.list)?.kind === "list" ? t.list : DEFAULT_LIST);
/** shownList is the list shown: the one chosen, or the default when it is gone. */
const shownList = () => (current && docs.get(current)?.kind === "list" ? current : DEFAULT_LIST);
const listName = (id) => (id ? docs.get(id)?.name || "Untitled list" : DEFAULT_NAME);
/** tasksIn is the tasks of a list: [[id, task]]. */
const tasksIn = (list) => [...docs].filter(([, d]) => d.kind === "task" && listOf(d) === list);
const openTasks = (list) => tasksIn(list).filter(([, t]) => !t.done).sort(byOrder);

// ---- drawing ----

function render() {
  if (dragging) return; // drawn at the drop
  const focus = focusState();
  renderLists();
  renderHead();
  renderTasks();
  restoreFocus(focus);
}

function renderLists() {
  const shown = shownList();
  $("#lists").replaceChildren(...lists().map(([id, name]) => {
    const n = tasksIn(id).filter(([, t]) => !t.done).length;
    // The name and count people see are the button's name, with words for
    // screen readers ("Groceries 3 open tasks").
    const b = attrs(el("button", { type: "button" },
      el("span", { className: "list-name", textContent: clip(name, 200) || "Untitled list" }),
      el("span", { className: "sr-only", textContent: " " }),
      el("span", { className: "count", textContent: n ? String(n) : "" }),
      el("span", { className: "sr-only", textContent: n ? (n === 1 ? " open task" : " open tasks") : " no open tasks" })),
    { "aria-current": String(id === shown), "data-key": "list:" + id });
    b.dataset.list = id;
    b.addEventListener("click", () => choose(id, true));
    return el("li", {}, b);
  }));
}

function renderHead() {
  const shown = shownList();
  $("#list-name").textContent = clip(listName(shown), 200);
  $("#list-name").title = clip(listName(shown), 200);
  $("#rename-list").hidden = $("#delete-list").hidden = shown === DEFAULT_LIST;
  if (shown === DEFAULT_LIST) $("#rename-form").hidden = true;
  $("#sort").value = localStorage.getItem(pref("sort", shown)) || "";
}

function renderTasks() {
  const shown = shownList();
  const today = dayOf(new Date());
  const byDue = localStorage.getItem(pref("sort", shown)) === "due";
  const all = tasksIn(shown);
  const open = all.filter(([, t]) => !t.done).sort(byOrder);
  const done = all.filter(([, t]) => t.done).sort(byDone);
  const on = { done: setDone, open: toggleEdit, remove: deleteTask };
  const row = (id, t, movable) => taskRow(id, t, { today, movable, open: editing?.id === id }, on,
    editing?.id === id ? editForm(id, editing.draft, lists(), { save: saveEdit, close: closeEdit }) : undefined);

  const flagged = [...docs].filter(([, d]) => d.bad);
  $("#flagged").replaceChildren(...flagged.map(([id, d]) => {
    const li = flaggedRow("This " + d.what + " could not be shown", d.bad, () => deleteTask(id));
    li.dataset.id = id;
    return li;
  }));

  if (!byDue) {
    $("#open").replaceChildren(el("ul", { className: "tasks" }, ...open.map(([id, t]) => row(id, t, true))));
  } else {
    $("#open").replaceChildren(...dueGroups(open, today).map((g) => {
      const hid = "group-" + g.key;
      const h = el("h2", { className: "group" + (g.key === "overdue" ? " overdue" : ""), id: hid, textContent: g.name + " (" + g.entries.length + ")" });
      if (g.key === "overdue") h.prepend(icon("warn"));
      return el("section", {}, h, attrs(el("ul", { className: "tasks" }, ...g.entries.map(([id, t]) => row(id, t, false))), { "aria-labelledby": hid }));
    }));
  }
  $("#empty").hidden = open.length > 0;
  $("#empty").textContent = done.length ? "All done." : "Nothing to do yet. Add a task above.";

  const unfolded = localStorage.getItem(pref("done", shown)) === "open";
  $("#done-section").hidden = done.length === 0;
  const toggle = $("#done-toggle");
  toggle.replaceChildren(icon("chevron"), "Done (" + done.length + ")");
  toggle.setAttribute("aria-expanded", String(unfolded));
  $("#done-list").hidden = !unfolded;
  $("#done-list").replaceChildren(...done.map(([id, t]) => row(id, t, false)));
}

// focusState and restoreFocus keep the focus (and what an input holds)
// on the same control across a redraw: by its data-key, else on the row
// that took its place, else on the new-task box.
function focusState() {
  const a = document.activeElement;
  const key = a?.dataset?.key;
  if (!key) return null;
  const li = a.closest("li[data-id]");
  const ul = li?.parentElement;
  return { key, ul: ul?.id || (ul && ul.closest("#open") ? "open" : ""), index: ul ? [...ul.children].indexOf(li) : -1,
    sel: typeof a.selectionStart === "number" ? [a.selectionStart, a.selectionEnd] : null };
}

function restoreFocus(s) {
  if (!s) return;
  const visible = (e) => e && e.isConnected && e.getClientRects().length > 0;
  let e = document.querySelector(`[data-key="${CSS.escape(s.key)}"]`);
  if (!visible(e) && s.ul) {
    const ul = s.ul === "open" ? $("#open ul") : document.getElementById(s.ul);
    const rows = ul ? [...ul.children] : [];
    const li = rows[Math.min(s.index, rows.length - 1)];
    e = li && li.querySelector("input[type=checkbox]");
  }
  if (!visible(e)) e = $("#add [name=title]");
  if (document.activeElement === e) return;
  e.focus({ preventScroll: true });
  if (s.sel && e.setSelectionRange && e.dataset.key === s.key) {
    try { e.setSelectionRange(s.sel[0], s.sel[1]); } catch { /* not a text input */ }
  }
}

// ---- tasks ----

// keep takes a document listed or changed, unless it is older than what
// this page wrote, or comes while this page is writing it (then it is
// held, and taken after if it is newer).
function keep(d) {
  const w = writing.get(d.id);
  if (w && w.n > 0) {
    if (!w.held || d.rev > w.held.rev) w.held = d;
    return false;
  }
  if (w && d.rev <= w.rev) return false;
  if (w) w.rev = d.rev;
  docs.set(d.id, read(d.value));
}

// write puts a value under id, counting it as under way (keep).
async function write(id, value) {
  const w = writing.get(id) || { n: 0, rev: 0, held: null };
  writing.set(id, w);
  w.n++;
  try {
    const { rev } = await app.put(DOCTYPE, id, value);
    if (typeof rev === "number") w.rev = Math.max(w.rev, rev);
  } finally {
    w.n--;
    if (w.n === 0 && w.held) {
      const h = w.held;
      w.held = null;
      if (h.rev > w.rev) { keep(h); render(); }
    }
  }
}

// patch writes a document with changes over what was read (members this
// version does not know are kept), showing it at once; a write that
// fails puts back what was shown and says why.
async function patch(id, changes) {
  const before = docs.get(id);
  if (!before?.raw) return;
  const value = { ...before.raw, ...changes, updated: Date.now() };
  docs.set(id, read(value));
  render();
  try {
    await write(id, value);
  } catch (err) {
    if (docs.get(id)?.raw === value) docs.set(id, before);
    render();
    fail(err);
  }
}

function setDone(id, done) {
  const t = docs.get(id);
  if (t?.kind !== "task") return;
  patch(id, { title: t.title, done, doneAt: done ? Date.now() : undefined });
  announce(done ? "Done: " + titleOf(t) : "Not done: " + titleOf(t));
}

async function create(title, extra = {}) {
  const list = shownList();
  const orders = tasksIn(list).map(([, t]) => t.order);
  const now = Date.now();
  const value = { ...extra, title, done: false, order: orders.length ? Math.min(...orders) - STEP : 0, created: now, updated: now };
  if (list) value.list = list;
  const { id } = await app.create(DOCTYPE, value);
  docs.set(id, read(value));
  render();
  return id;
}

// deleteTask deletes a task at once and offers to undo it for a while
// (one that cannot be shown once the person confirms).
async function deleteTask(id) {
  const d = docs.get(id);
  if (!d) return;
  if (d.bad) return deleteMalformed(app, DOCTYPE, id, d.what, () => { docs.delete(id); render(); }, fail);
  docs.delete(id);
  if (editing?.id === id) editing = null;
  render();
  try {
    await app.delete(DOCTYPE, id);
  } catch (err) {
    docs.set(id, d);
    render();
    return fail(err);
  }
  offerUndo("Deleted “" + clip(titleOf(d), 60) + "”.", async () => {
    docs.set(id, read(d.raw));
    render();
    try {
      await write(id, d.raw);
    } catch (err) {
      docs.delete(id);
      render();
      throw err;
    }
    announce("Restored “" + clip(titleOf(d), 60) + "”.");
  });
}

function toggleEdit(id) {
  const t = docs.get(id);
  if (editing?.id === id || t?.kind !== "task") { closeEdit(); return; }
  editing = { id, draft: { title: t.title, due: t.due || (typeof t.raw.due === "string" ? t.raw.due : ""), list: listOf(t) } };
  render();
  document.querySelector(`[data-key="edit-title:${CSS.escape(id)}"]`)?.focus();
}

function closeEdit() {
  const id = editing?.id;
  editing = null;
  render();
  if (id) document.querySelector(`[data-key="open:${CSS.escape(id)}"]`)?.focus();
}

function saveEdit(draft) {
  const id = editing?.id;
  const t = docs.get(id);
  const title = draft.title.trim();
  if (t?.kind !== "task") return closeEdit();
  if (!title) { fail({ message: "A task needs a title." }); return; }
  show($("#msg"), "");
  const changes = { title, due: draft.due || undefined };
  if (draft.list !== listOf(t)) {
    changes.list = draft.list || undefined;
    const orders = tasksIn(draft.list).map(([, o]) => o.order);
    changes.order = orders.length ? Math.min(...orders) - STEP : 0;
  }
  const moved = draft.list !== listOf(t);
  editing = null;
  patch(id, changes);
  announce(moved ? "Moved to " + listName(draft.list) + "." : "Saved.");
  document.querySelector(`[data-key="open:${CSS.escape(id)}"]`)?.focus();
}

// ---- moving ----

// move puts an open task of the shown list at index (among the open
// tasks, as if it were not there), writing that task only; when its
// neighbours leave no room, the list is numbered again (spec/tasks.md §4).
async function move(id, index) {
  const open = openTasks(shownList());
  const from = open.findIndex(([i]) => i === id);
  if (from < 0) return;
  const rest = open.filter(([i]) => i !== id);
  index = Math.max(0, Math.min(index, rest.length));
  const order = between(rest[index - 1]?.[1].order, rest[index]?.[1].order);
  announce("Moved to position " + (index + 1) + " of " + open.length + ".");
  if (order !== null) return patch(id, { order });
  rest.splice(index, 0, open[from]);
  await Promise.all(rest.map(([i], n) => (docs.get(i).order === n * STEP ? null : patch(i, { order: n * STEP }))));
}

function moveBy(id, delta) {
  if (localStorage.getItem(pref("sort", shownList())) === "due") {
    announce("Sorted by due date: choose My order to move tasks.");
    return;
  }
  const open = openTasks(shownList());
  const from = open.findIndex(([i]) => i === id);
  if (from < 0) return;
  const to = delta === -Infinity ? 0 : delta === Infinity ? open.length - 1 : from + delta;
  if (to < 0 || to >= open.length || to === from) return;
  move(id, to);
}

// ---- lists ----

function choose(id, fromMenu) {
  current = id;
  localStorage.setItem("tasks:list", id);
  editing = null;
  $("#rename-form").hidden = true;
  const wasOpen = $("#app").classList.contains("menu-open");
  menu(false);
  render();
  if (fromMenu && wasOpen) $("#list-name").focus();
}

function menu(open) {
  $("#app").classList.toggle("menu-open", open);
  $("#lists-toggle").setAttribute("aria-expanded", String(open));
}

async function deleteList() {
  const id = shownList();
  const d = docs.get(id);
  if (!id || d?.kind !== "list") return;
  const tasks = tasksIn(id);
  const name = "“" + clip(d.name, 80) + "”";
  if (tasks.length > 0) {
    const done = tasks.filter(([, t]) => t.done).length;
    const detail = (tasks.length === 1 ? "Its task" : "Its " + tasks.length + " tasks") + (done ? " (" + done + " done)" : "") +
      (tasks.length === 1 ? " will be deleted too." : " will be deleted too.") + " This cannot be undone.";
    if (!(await ask("Delete the list " + name + "?", "Delete list", detail))) return;
  }
  try {
    // Its tasks first: stopped half way, no task shows up in another list.
    for (const [tid] of tasks) {
      await app.delete(DOCTYPE, tid);
      docs.delete(tid);
    }
    await app.delete(DOCTYPE, id);
    docs.delete(id);
  } catch (err) {
    render();
    return fail(err);
  }
  choose(DEFAULT_LIST);
  $("#list-name").focus();
  if (tasks.length === 0) {
    offerUndo("Deleted the list " + name + ".", async () => {
      docs.set(id, read(d.raw));
      choose(id);
      try {
        await write(id, d.raw);
      } catch (err) {
        docs.delete(id);
        choose(DEFAULT_LIST);
        throw err;
      }
    });
  } else announce("Deleted the list " + name + ".");
}

// ---- Undo ----

let undoTimer = null;
let undoFn = null;

// offerUndo shows what was done with an Undo button (and Ctrl+Z) for
// eight seconds, or until the focus leaves it.
function offerUndo(words, undo) {
  undoFn = undo;
  $("#toast-text").textContent = words;
  $("#toast").hidden = false;
  announce(words + " Undo is offered for a few seconds (Ctrl+Z).");
  clearTimeout(undoTimer);
  undoTimer = setTimeout(hideUndo, 8000);
}

function hideUndo() {
  clearTimeout(undoTimer);
  if ($("#toast").contains(document.activeElement)) { undoTimer = setTimeout(hideUndo, 2000); return; }
  $("#toast").hidden = true;
  undoFn = null;
}

async function undo() {
  const f = undoFn;
  if (!f) return;
  undoFn = null;
  const back = $("#toast").contains(document.activeElement);
  $("#toast").hidden = true;
  clearTimeout(undoTimer);
  if (back) $("#add [name=title]").focus();
  try { await f(); } catch (err) { fail(err); }
}

// ---- the intent "create a task" ----

// serve shows the task another app asks for, filled in; the person creates
// it (or not) and goes back to that app.
function serve(intent) {
  if (intent.action !== "create" || intent.doctype !== DOCTYPE) {
    intent.cancel();
    return;
  }
  const v = isObject(intent.value) ? intent.value : { title: text(intent.value) };
  $("#intent").hidden = false;
  // Home named the asking app and the person agreed there; the name in this
  // page's address could come from anyone's link, so it is not repeated.
  $("#intent-from").textContent = "Another app asks for this task. Change it if you like, then create it, or cancel.";
  const input = $("#intent-form").elements.namedItem("title");
  input.value = clip(text(v.title), 500);
  input.focus();
  $("#intent-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const extra = typeof v.note === "string" ? { note: v.note } : {};
      intent.done(await create(input.value.trim(), extra));
    } catch (err) {
      fail(err);
    }
  });
  $("#intent-cancel").addEventListener("click", () => intent.cancel());
}

// ---- wiring ----

function bind() {
  $("#add").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target.elements;
    const title = f.namedItem("title").value.trim();
    if (!title) { fail({ message: "A task needs a title." }); return; }
    try {
      await create(title, f.namedItem("due").value ? { due: f.namedItem("due").value } : {});
      f.namedItem("title").value = "";
      f.namedItem("due").value = "";
      show($("#msg"), "");
      announce("Added “" + clip(title, 60) + "”.");
    } catch (err) {
      fail(err);
    }
  });
  $("#new-list").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = e.target.elements.namedItem("name");
    const name = input.value.trim();
    if (!name) { fail({ message: "A list needs a name." }); return; }
    if (taken(name)) { fail({ message: "You have a list called “" + clip(name, 60) + "” already." }); return; }
    const now = Date.now();
    const value = { kind: "list", name, order: now, created: now, updated: now };
    try {
      const { id } = await app.create(DOCTYPE, value);
      docs.set(id, read(value));
      input.value = "";
      show($("#msg"), "");
      choose(id);
      $("#add [name=title]").focus();
    } catch (err) {
      fail(err);
    }
  });
  $("#rename-list").addEventListener("click", () => {
    const f = $("#rename-form");
    f.hidden = false;
    f.elements.namedItem("name").value = listName(shownList());
    f.elements.namedItem("name").select();
    f.elements.namedItem("name").focus();
  });
  $("#rename-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = e.target.elements.namedItem("name").value.trim();
    if (!name) { fail({ message: "A list needs a name." }); return; }
    if (taken(name, shownList())) { fail({ message: "You have a list called “" + clip(name, 60) + "” already." }); return; }
    e.target.hidden = true;
    show($("#msg"), "");
    patch(shownList(), { name });
    $("#list-name").focus();
  });
  const cancelRename = () => { $("#rename-form").hidden = true; $("#rename-list").focus(); };
  $("#rename-cancel").addEventListener("click", cancelRename);
  $("#rename-form").addEventListener("keydown", (e) => { if (e.key === "Escape") cancelRename(); });
  $("#delete-list").addEventListener("click", deleteList);
  $("#sort").addEventListener("change", (e) => {
    if (e.target.value) localStorage.setItem(pref("sort", shownList()), e.target.value);
    else localStorage.removeItem(pref("sort", shownList()));
    render();
  });
  $("#done-toggle").addEventListener("click", () => {
    const k = pref("done", shownList());
    if (localStorage.getItem(k) === "open") localStorage.removeItem(k);
    else localStorage.setItem(k, "open");
    render();
  });
  $("#lists-toggle").addEventListener("click", () => {
    const open = !$("#app").classList.contains("menu-open");
    menu(open);
    if (open) $("#lists [aria-current=true]")?.focus();
  });
  $("#lists-panel").addEventListener("keydown", (e) => {
    if (e.key === "Escape" && $("#app").classList.contains("menu-open")) { menu(false); $("#lists-toggle").focus(); }
  });
  $("#undo").addEventListener("click", undo);
  $("#toast").addEventListener("focusout", () => { if (!undoFn) return; clearTimeout(undoTimer); undoTimer = setTimeout(hideUndo, 3000); });
  // The keyboard: Alt+Up/Down on a task (Up/Down, Home/End on its handle)
  // moves it; Delete on a task's handle or row deletes it; Ctrl+Z undoes.
  document.addEventListener("keydown", (e) => {
    const inForm = !!e.target.closest?.("form");
    const li = inForm ? null : e.target.closest?.("#open li[data-id]");
    const onHandle = e.target.classList?.contains("handle");
    const keys = { ArrowUp: -1, ArrowDown: 1, Home: -Infinity, End: Infinity };
    if (li && e.key in keys && ((e.altKey && e.key.startsWith("Arrow")) || (onHandle && !e.altKey && !e.ctrlKey && !e.metaKey))) {
      e.preventDefault();
      moveBy(li.dataset.id, keys[e.key]);
      return;
    }
    const row = inForm ? null : e.target.closest?.("#open li[data-id]:not([data-flagged]), #done-list li[data-id]");
    if (row && e.key === "Delete" && !e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
      e.preventDefault();
      deleteTask(row.dataset.id);
      return;
    }
    const typing = e.target.matches?.("input:not([type=checkbox]), textarea, select");
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key === "z" && !typing && undoFn) {
      e.preventDefault();
      undo();
    }
  });
  sortable($("#open"), {
    onStart: () => { dragging = true; },
    onDrop: (id, index) => {
      dragging = false;
      if (index >= 0) move(id, index);
      else render();
    },
  });
}

async function main() {
  app = await startApp("tasks"); // may navigate to Home to connect
  if (!app) return;
  await live(app, DOCTYPE, {
    keep,
    drop: (id) => {
      if (writing.get(id)?.n > 0) return; // an Undo under way
      docs.delete(id);
      if (editing?.id === id) editing = null;
    },
    draw: render,
    onError: fail,
  });
  bind();
  const halted = () => { for (const b of document.querySelectorAll("#add button, #new-list button")) b.disabled = !!app.halted; };
  app.onhalted = halted;
  halted();
  // #open=<id> (Home's search links so) shows that task in its list, or that list.
  openLinks((id) => {
    const d = docs.get(id);
    if (d?.kind === "list") choose(id);
    else if (d?.kind === "task") { choose(listOf(d)); if (d.done) localStorage.setItem(pref("done", listOf(d)), "open"); toggleEdit(id); }
    else if (d?.bad) fail({ message: "That task could not be shown: it is malformed." });
    else fail({ message: "That task is not here (deleted, or not synced yet)." });
  });
  if (app.intent) serve(app.intent);
  document.body.dataset.ready = "true";
}

main().catch(fail);
