// Notes: Markdown notes, listed by date, edited with a preview, kept in
// step with other tabs and devices. It runs on its own origin with only the
// io.hearth.notes keys its grant gives it (spec/web.md §5).
import { $, appWords, deleteMalformed, live, openLinks, sayer, show, startApp, ask } from "./hearth-kit.js";
import { renderMarkdown } from "./markdown.js";
import { isObject, text, time, notText, clip, flaggedRow, notA } from "./values.js";

const DOCTYPE = "io.hearth.notes";

const notes = new Map(); // id → { id, rev, value, bad? }: bad says why it cannot be shown
let app;
let current = null;      // id of the open note
let dirty = false;       // the editor holds unsaved changes
let saveTimer = null;
let filter = "";

const say = sayer(appWords, {
  network: "The server cannot be reached; your changes will be saved when it is back.",
  not_found: "This note no longer exists.",
});
// norm makes a stored value a note, or says why it cannot be one: other
// clients or apps granted this doctype may write what they like. Text
// (a document that is not JSON) is a note's text; an object's members are
// converted only from primitive values (values.js).
function norm(v) {
  if (typeof v === "string") return { value: { title: "", body: v, updated: 0, created: 0 } };
  if (!isObject(v)) return { bad: notA(v, "a note") };
  if (notText(v.title)) return { bad: "its title is not text" };
  if (notText(v.body)) return { bad: "its text is not text" };
  return { value: { ...v, title: text(v.title), body: text(v.body), updated: time(v.updated), created: time(v.created) } };
}

// entry is the note of a stored document, flagged (bad) when it cannot be
// shown: one malformed document never stops the list.
function entry(id, rev, v) {
  let n;
  try {
    n = norm(v);
  } catch {
    n = { bad: "it cannot be read" };
  }
  return n.bad ? { id, rev, bad: n.bad, value: { title: "", body: "", updated: 0, created: 0 } } : { id, rev, value: n.value };
}

function status(text) { $("#status").textContent = text; }
const fail = (err) => show($("#notes-msg"), say(err));

async function main() {
  app = await startApp("notes"); // may navigate to Home to connect
  if (!app) return;
  // Stopped saving (spec/web.md §5.1): hearth.js says so above the page;
  // Notes shows what it can read, and offers no writing.
  app.onhalted = () => { $("#new-note").disabled = true; };
  performance.mark("hearth:app-open");
  await live(app, DOCTYPE, {
    keep,
    drop,
    draw: () => {
      performance.mark("hearth:notes-listed");
      renderList();
    },
    redraw: scheduleList,
  });
  loadPeople();
  bind();
  $("#new-note").disabled = !!app.halted;
  document.body.dataset.ready = "true";
  performance.mark("hearth:notes-ready"); // for the benchmarks
  if (current === null) $("#empty").hidden = false;
  // #open=<id> (Home's search links to a note so) opens that note.
  openLinks((id) => {
    if (notes.has(id) && notes.get(id).bad) fail({ message: "That note could not be shown: it is malformed." });
    else if (notes.has(id)) open(id);
    else fail({ message: "That note is not here (deleted, or not synced yet)." });
  });
  // Back from asking Tasks for a task: reopen the note and say how it went.
  const back = sessionStorage.getItem("notes:return");
  if (app.intentResult && back !== null) {
    sessionStorage.removeItem("notes:return");
    if (notes.has(back)) await open(back);
    status(app.intentResult.cancelled ? "No task was created." : "Task created in Tasks.");
  }
}

// scheduleList renders the list once however many changes come together (a
// reload can bring a thousand at once); a timer, not an animation frame,
// so that a tab in the background keeps up too.
let listScheduled = false;
function scheduleList() {
  if (listScheduled) return;
  listScheduled = true;
  setTimeout(() => { listScheduled = false; renderList(); }, 30);
}

// drop forgets a deleted note, and closes it if it is open.
function drop(id) {
  notes.delete(id);
  if (id === current) closeEditor("This note was deleted on another device.");
}

// keep keeps a listed or changed note, and shows it if it is open; false
// when it is no news (a write of this tab, already shown).
function keep(ch) {
  const old = notes.get(ch.id);
  if (old && old.rev >= ch.rev) return false; // our own write, already shown
  const n = entry(ch.id, ch.rev, ch.value);
  notes.set(ch.id, n);
  if (ch.id === current && n.bad) {
    closeEditor("This note was changed on another device into something Notes cannot show.");
  } else if (ch.id === current) {
    if (dirty) status("Changed on another device; saving here will keep your version.");
    else fillEditor(notes.get(ch.id));
  }
}

function title(n) {
  const t = clip(n.value.title, 300).trim();
  if (t) return t;
  const first = n.value.body.slice(0, 2000).split("\n").find((l) => l.trim());
  return first ? clip(first.replace(/^#+\s*/, ""), 80) : "Untitled";
}

// excerpt is the start of a note's text without its Markdown marks.
function excerpt(body) {
  return body.slice(0, 400)
    .replace(/^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)/gm, "")
    .replace(/[*_`~]+/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\s+/g, " ").trim().slice(0, 100);
}

function renderList() {
  const list = $("#note-list");
  const sorted = [...notes.values()]
    .filter((n) => !filter || !n.bad && (title(n) + "\n" + n.value.body).toLowerCase().includes(filter))
    .sort((a, b) => (!!b.bad - !!a.bad) || (b.value.updated - a.value.updated));
  list.replaceChildren(...sorted.map((n) => {
    if (n.bad) return flaggedRow("This note could not be shown", n.bad, () => deleteBad(n.id));
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.setAttribute("aria-current", String(n.id === current));
    b.append(
      Object.assign(document.createElement("span"), { className: "title", textContent: title(n) }),
      Object.assign(document.createElement("span"), { className: "excerpt", textContent: excerpt(n.value.body || "") }),
      Object.assign(document.createElement("span"), { className: "date", textContent: n.value.updated ? new Date(n.value.updated).toLocaleString() : "" }),
    );
    b.addEventListener("click", () => open(n.id));
    li.append(b);
    return li;
  }));
  const bad = sorted.filter((n) => n.bad).length;
  $("#count").textContent = (notes.size === 1 ? "1 note" : notes.size + " notes") + (bad ? ", " + bad + " could not be shown" : "");
  // The right pane is never blank: what to do when nothing is open.
  $("#empty").hidden = current !== null;
  $("#empty").textContent = notes.size ? "Choose a note on the left, or write a new one." : "No notes yet. Write your first one.";
}

// deleteBad deletes a note Notes cannot show, once the person confirms.
function deleteBad(id) {
  deleteMalformed(app, DOCTYPE, id, "note", () => {
    notes.delete(id);
    renderList();
  }, fail);
}

async function flush() {
  clearTimeout(saveTimer);
  if (!dirty || current === null) return;
  const n = notes.get(current);
  const value = { ...n.value, title: $("#title").value, body: $("#body").value, updated: Date.now() };
  dirty = false;
  status("Saving…");
  try {
    const { rev } = await app.put(DOCTYPE, current, value);
    notes.set(current, { id: current, rev, value });
    status("Saved");
    renderList();
  } catch (err) {
    dirty = true;
    status("Not saved");
    fail(err);
  }
}

function edited() {
  dirty = true;
  status("Editing…");
  clearTimeout(saveTimer);
  saveTimer = setTimeout(flush, 800);
  if (!$("#preview").hidden) renderPreview();
}

function fillEditor(n) {
  $("#title").value = n.value.title || "";
  $("#body").value = n.value.body || "";
  if (!$("#preview").hidden) renderPreview();
  status(n.value.updated ? "Saved " + new Date(n.value.updated).toLocaleString() : "");
}

// Mentions: [@Lou](contact:ID) in a note shows the contact's name as it is
// now in Contacts (Notes reads io.hearth.contacts, nothing more).
const people = new Map(); // contact id → name
function contactName(v) {
  if (!isObject(v)) return "";
  const n = isObject(v.name) ? v.name : {};
  return clip(text(n.full) || [text(n.given), text(n.family)].filter(Boolean).join(" ") ||
    (isObject(v.org) ? text(v.org.name) : "") || text(v.name), 200);
}

function renderPreview() {
  $("#preview").replaceChildren(renderMarkdown($("#body").value, {
    link: (url, text) => {
      if (!url.startsWith("contact:")) return null;
      const id = url.slice("contact:".length);
      const span = document.createElement("span");
      span.className = "mention";
      span.dataset.contact = id;
      span.textContent = "@" + (people.get(id) || text.replace(/^@/, "") || "someone");
      if (!people.has(id)) span.title = "Not in your contacts (deleted, or not synced yet)";
      return span;
    },
  }));
}

// loadPeople reads the contacts' names, if this app was given them (a
// connection made before Notes asked for them has not).
async function loadPeople() {
  try {
    await live(app, "io.hearth.contacts", {
      keep: (d) => { people.set(d.id, contactName(d.value)); },
      drop: (id) => people.delete(id),
      redraw: () => {
        fillMentions();
        if (!$("#preview").hidden) renderPreview();
      },
    });
  } catch {
    return;
  }
  fillMentions();
  $("#mention").hidden = false;
}

function fillMentions() {
  const sel = $("#mention");
  const names = [...people.entries()].filter(([, n]) => n).sort((a, b) => a[1].localeCompare(b[1]));
  sel.replaceChildren(Object.assign(document.createElement("option"), { value: "", textContent: "@ Mention…" }),
    ...names.map(([id, n]) => Object.assign(document.createElement("option"), { value: id, textContent: n })));
}

async function open(id) {
  await flush();
  if (!notes.has(id) || notes.get(id).bad) return;
  current = id;
  dirty = false;
  fillEditor(notes.get(id));
  $("#editor").hidden = false;
  $("#empty").hidden = true;
  document.querySelector(".notes").classList.add("editing");
  renderList();
}

function closeEditor(message) {
  current = null;
  dirty = false;
  $("#editor").hidden = true;
  document.querySelector(".notes").classList.remove("editing");
  if (message) fail({ message });
  renderList();
}

function bind() {
  $("#new-note").addEventListener("click", async () => {
    await flush();
    const now = Date.now();
    const value = { title: "", body: "", created: now, updated: now };
    try {
      const { id, rev } = await app.create(DOCTYPE, value);
      notes.set(id, { id, rev, value });
      await open(id);
      $("#title").focus();
    } catch (err) {
      fail(err);
    }
  });
  $("#title").addEventListener("input", edited);
  $("#body").addEventListener("input", edited);
  $("#search").addEventListener("input", (e) => { filter = e.target.value.toLowerCase(); renderList(); });
  for (const tab of document.querySelectorAll("[data-mode]")) {
    tab.addEventListener("click", () => {
      for (const t of document.querySelectorAll("[data-mode]")) t.setAttribute("aria-selected", String(t === tab));
      const preview = tab.dataset.mode === "preview";
      $("#preview").hidden = !preview;
      $("#body").hidden = preview;
      if (preview) renderPreview();
    });
  }
  // Notes holds no key of io.hearth.tasks: it asks, through Home, the app
  // that creates tasks (spec/apps.md §5), and comes back here.
  $("#mention").addEventListener("change", () => {
    const id = $("#mention").value;
    $("#mention").value = "";
    if (!id || current === null) return;
    const body = $("#body");
    const at = body.selectionStart ?? body.value.length;
    const text = "[@" + (people.get(id) || "someone").replace(/[\[\]]/g, "") + "](contact:" + id + ")";
    body.setRangeText(text, at, body.selectionEnd ?? at, "end");
    body.focus();
    edited();
  });
  $("#make-task").addEventListener("click", async () => {
    if (current === null) return;
    await flush();
    const n = notes.get(current);
    sessionStorage.setItem("notes:return", current);
    app.startIntent({ action: "create", doctype: "io.hearth.tasks", value: { title: n.value.title || "A task from a note", note: current } });
  });
  $("#delete").addEventListener("click", async () => {
    if (current === null || !(await ask("Delete this note?", "Delete"))) return;
    const id = current;
    try {
      await app.delete(DOCTYPE, id);
      notes.delete(id);
      closeEditor();
    } catch (err) {
      fail(err);
    }
  });
  $("#back").addEventListener("click", async () => { await flush(); closeEditor(); });
  window.addEventListener("beforeunload", (e) => {
    if (dirty) { flush(); e.preventDefault(); }
  });
  document.addEventListener("visibilitychange", () => { if (document.hidden) flush(); });
}

main().catch((err) => {
  // An ended grant (signed out on this browser, or revoked in Home) was
  // wiped by the worker: start connecting again, once.
  if (err && err.code === "session_ended") {
    const last = Number(sessionStorage.getItem("hearth:reconnect") || 0);
    if (Date.now() - last > 10000) {
      sessionStorage.setItem("hearth:reconnect", String(Date.now()));
      location.reload();
      return;
    }
  }
  fail(err);
});
