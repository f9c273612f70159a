// Notes: Markdown notes, listed by their last change, edited beside a live
// preview, kept in step with other tabs and devices. It runs on its own
// origin with only the io.hearth.notes keys its grant gives it (spec/web.md
// §5). An edit the server cannot take now is kept in this browser, sealed,
// and sent when the server is back (put's keep, spec/web.md §3).
import { $, el, appWords, deleteMalformed, live, openLinks, sayer, show, startApp, ask } from "./hearth-kit.js";
import { renderMarkdown } from "./markdown.js";
import { isObject, text, time, notText, clip, flaggedRow, notA } from "./values.js";
import { mentionPicker } from "./mention.js";

const DOCTYPE = "io.hearth.notes";
const NOT_SENT = "Not saved yet: the server cannot be reached; kept in this browser and sent when it is back";

// id → { id, rev, seq, value, bad?, kept? }: bad says why it cannot be
// shown; kept is this browser's version waiting for the server (shown in
// place of value); seq orders by last change (Infinity: written here, the
// feed has not brought it back yet; 0: not known).
const notes = new Map();
let app;
let current = null;      // id of the open note
let dirty = false;       // the editor holds changes not handed to Hearth yet
let saveTimer = null;
let filter = "";

const say = sayer(appWords, {
  network: "The server cannot be reached. Try again when it is back.",
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
function entry(id, rev, v, seq = 0) {
  let n;
  try {
    n = norm(v);
  } catch {
    n = { bad: "it cannot be read" };
  }
  return n.bad ? { id, rev, seq, bad: n.bad, value: { title: "", body: "", updated: 0, created: 0 } } : { id, rev, seq, value: n.value };
}

/** shown is what Notes shows of a note: this browser's kept version, or the stored one. */
const shown = (n) => n.kept || n.value;

function status(text) {
  $("#status").textContent = text;
  $("#status").classList.toggle("kept", text === NOT_SENT);
}
const fail = (err) => show($("#notes-msg"), say(err));

async function main() {
  app = await startApp("notes"); // may navigate to Home to connect
  if (!app) return;
  // Stopped saving (spec/web.md §5.1): hearth.js says so above the page;
  // Notes shows what it can read, and offers no writing.
  app.onhalted = () => { for (const b of newButtons()) b.disabled = true; };
  app.onoutbox = outboxNews;
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
  await showKept();
  loadPeople();
  bind();
  for (const b of newButtons()) b.disabled = !!app.halted;
  document.body.dataset.ready = "true";
  performance.mark("hearth:notes-ready"); // for the benchmarks
  renderList();
  catchUp();
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

const newButtons = () => document.querySelectorAll("#new-note, [data-new-note]");

// showKept shows the edits this browser keeps for the server (written
// while it could not be reached, maybe in a tab closed since): they are
// sent as soon as it answers.
async function showKept() {
  let kept = [];
  try {
    kept = await app.outbox();
  } catch {
    return;
  }
  for (const p of kept) {
    if (p.doctype !== DOCTYPE) continue;
    const k = entry(p.id, p.base, p.value);
    if (k.bad) continue;
    const n = notes.get(p.id) || k;
    n.kept = k.value;
    n.seq = Infinity;
    notes.set(p.id, n);
  }
}

// catchUp lists the notes again once the page follows their changes: one
// that came between the first list and the subscription (the worker
// sending an edit it kept, as the page starts) is not missed.
async function catchUp() {
  const before = new Set(notes.keys()); // a note made meanwhile is not in the list
  let docs;
  try {
    docs = await app.list(DOCTYPE);
  } catch {
    return;
  }
  const ids = new Set();
  let news = false;
  for (const d of docs) {
    ids.add(d.id);
    if (keep(d) !== false) news = true;
  }
  for (const [id, n] of notes) {
    if (before.has(id) && !ids.has(id) && !n.kept) {
      drop(id);
      news = true;
    }
  }
  if (news) renderList();
}

// outboxNews follows a kept edit: being sent, sent, or kept again. A
// try that fails at once (the server still away) does not flash
// "Sending…": the status says so only after a moment.
let sendingTimer = null;
function outboxNews(ev) {
  if (!ev || ev.doctype !== DOCTYPE) return;
  const n = notes.get(ev.id);
  const here = ev.id === current && !dirty;
  clearTimeout(sendingTimer);
  switch (ev.state) {
    case "kept":
      if (here) status(NOT_SENT);
      break;
    case "sending":
      if (here) sendingTimer = setTimeout(() => { if (ev.id === current && !dirty) status("Sending…"); }, 400);
      break;
    case "sent":
      if (n) n.kept = undefined;
      if (here) status("Saved");
      break;
    case "copied":
      if (n) n.kept = undefined;
      copied(ev.id, ev.copy);
      break;
    case "failed":
      if (here) status("Not saved: " + say(ev.error) + " Your version is kept in this browser.");
      break;
  }
  scheduleList();
}

// copied: the note changed on another device while this browser kept an
// edit of it; the edit was saved as a note of its own, which opens in its
// place.
function copied(id, copy) {
  if (id !== current || dirty) return;
  if (notes.has(copy)) open(copy).then(() => status("Saved as a separate note: the note changed on another device while your edit waited here."));
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
  if (old && old.rev > ch.rev) return false;
  if (old && old.rev === ch.rev) {
    // The feed's echo of a write of this browser: now where it sits.
    if (!ch.seq || old.seq === ch.seq) return false;
    old.seq = ch.seq;
    return true;
  }
  // A change without a seq is this browser's own write: the newest.
  const n = entry(ch.id, ch.rev, ch.value, ch.seq || ("doctype" in ch ? Infinity : 0));
  if (old && old.kept) n.kept = old.kept;
  notes.set(ch.id, n);
  if (ch.id === current && n.bad) {
    closeEditor("This note was changed on another device into something Notes cannot show.");
  } else if (ch.id === current) {
    if (dirty || n.kept) status("Changed on another device; your version here is kept.");
    else fillEditor(n);
  }
}

function title(n) {
  const v = shown(n);
  const t = clip(v.title, 300).trim();
  if (t) return t;
  const first = v.body.slice(0, 2000).split("\n").find((l) => l.trim());
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

const bySeq = (a, b) => (a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1);

// lastChanges gives each note the time of its last change, to list the
// newest first: its date (updated) when it has one; a note without (one
// the command line client wrote) changed after every note that comes
// before it in the account's changes feed (seq), so it takes the latest
// date among those, and sorts just above them. Its place in the feed not
// known (0): the oldest.
function lastChanges() {
  const at = new Map();
  let latest = 0;
  for (const n of [...notes.values()].sort(bySeq)) {
    const u = shown(n).updated;
    if (u) latest = Math.max(latest, u);
    at.set(n, u || (n.seq ? latest : 0));
  }
  return at;
}

function row(n) {
  const v = shown(n);
  const b = el("button", { type: "button" },
    el("span", { className: "title", textContent: title(n) }),
    el("span", { className: "excerpt", textContent: excerpt(v.body || "") }));
  const meta = el("span", { className: "meta" });
  if (v.updated) meta.append(el("span", { className: "date", textContent: new Date(v.updated).toLocaleString() }));
  if (n.kept) meta.append(el("span", { className: "badge kept", textContent: "Not sent yet" }));
  if (text(v.conflictOf)) meta.append(el("span", { className: "badge", textContent: "Conflict copy" }));
  if (meta.childElementCount) b.append(meta);
  b.setAttribute("aria-current", String(n.id === current));
  b.addEventListener("click", () => open(n.id));
  return el("li", {}, b);
}

function renderList() {
  const list = $("#note-list");
  const want = filter.toLowerCase();
  const at = lastChanges();
  const sorted = [...notes.values()]
    .filter((n) => !want || !n.bad && (title(n) + "\n" + shown(n).body).toLowerCase().includes(want))
    .sort((a, b) => (!!b.bad - !!a.bad) || (at.get(b) - at.get(a)) || bySeq(b, a));
  list.replaceChildren(...sorted.map((n) => n.bad ? flaggedRow("This note could not be shown", n.bad, () => deleteBad(n.id)) : row(n)));
  if (!sorted.length && notes.size) list.append(el("li", { className: "none", textContent: "No note matches “" + clip(filter, 60) + "”." }));
  const bad = sorted.filter((n) => n.bad).length;
  $("#count").textContent = notes.size === 0 ? "" : (notes.size === 1 ? "1 note" : notes.size + " notes") + (bad ? ", " + bad + " could not be shown" : "");
  // The panes are never blank: with no notes, a word and a way to start;
  // with some, what to do when none is open.
  $("#list-empty").hidden = notes.size > 0 || !document.body.dataset.ready;
  $("#empty").hidden = current !== null;
  $("#empty-line").textContent = notes.size ? "Choose a note, or write a new one." : "No notes yet. Write your first one.";
}

// deleteBad deletes a note Notes cannot show, once the person confirms.
function deleteBad(id) {
  deleteMalformed(app, DOCTYPE, id, "note", () => {
    notes.delete(id);
    renderList();
  }, fail);
}

// flush hands the editor's changes to Hearth: saved, or kept in this
// browser until the server is back (and the status line says which).
async function flush() {
  clearTimeout(saveTimer);
  if (!dirty || current === null) return;
  const id = current;
  const n = notes.get(id);
  const value = { ...shown(n), title: $("#title").value, body: $("#body").value, updated: Date.now() };
  dirty = false;
  status("Saving…");
  try {
    const r = await app.put(DOCTYPE, id, value, { keep: true });
    const m = notes.get(id) || n;
    const here = id === current && !dirty;
    if (r.kept) {
      m.kept = value;
      m.seq = Infinity;
      if (here) status(NOT_SENT);
    } else if (r.copy) {
      m.kept = undefined;
      copied(id, r.copy);
    } else {
      if (m.rev < r.rev) notes.set(id, { id, rev: r.rev, seq: Infinity, value });
      else m.kept = undefined;
      if (here) status("Saved");
    }
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
  schedulePreview();
}

function fillEditor(n) {
  const v = shown(n);
  $("#title").value = v.title || "";
  $("#body").value = v.body || "";
  renderPreview();
  status(n.kept ? NOT_SENT : v.updated ? "Saved " + new Date(v.updated).toLocaleString() : "");
  // A conflict copy says what it is a copy of.
  const of = text(v.conflictOf), box = $("#conflict");
  box.hidden = !of;
  if (of) {
    const orig = notes.get(of);
    box.replaceChildren("Conflict copy: your version, written while " +
      (orig && !orig.bad ? "“" + title(orig) + "”" : "its note") + " changed on another device. ");
    if (orig && !orig.bad) box.append(el("button", { type: "button", className: "link", textContent: "Open the other version", onclick: () => open(of) }));
  }
}

// ---- the view: edit, side by side (wide screens) or preview ----

const wide = matchMedia("(min-width: 1000px)");
let chosen = null; // the view the person picked, if any

function applyMode() {
  let mode = chosen || (wide.matches ? "split" : "edit");
  if (mode === "split" && !wide.matches) mode = "edit";
  for (const t of document.querySelectorAll(".tabs [data-mode]")) {
    t.setAttribute("aria-selected", String(t.dataset.mode === mode));
    if (t.dataset.mode === "split") t.hidden = !wide.matches;
  }
  $("#panes").dataset.mode = $("#editor").dataset.mode = mode;
  $("#body").hidden = mode === "preview";
  $("#preview").hidden = mode === "edit";
  renderPreview();
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
  if ($("#preview").hidden) return;
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

// The preview follows the typing, once a frame.
let previewScheduled = false;
function schedulePreview() {
  if (previewScheduled || $("#preview").hidden) return;
  previewScheduled = true;
  requestAnimationFrame(() => { previewScheduled = false; renderPreview(); });
}

let picker = null;
const names = () => [...people.entries()].filter(([, n]) => n).sort((a, b) => a[1].localeCompare(b[1]));

// loadPeople reads the contacts' names, if this app was given them (a
// connection made before Notes asked for them has not).
async function loadPeople() {
  try {
    await live(app, "io.hearth.contacts", {
      keep: (d) => { people.set(d.id, contactName(d.value)); },
      drop: (id) => people.delete(id),
      redraw: () => {
        if (picker) picker.refresh();
        renderPreview();
      },
    });
  } catch {
    return;
  }
  picker = mentionPicker($("#mention"), { people: names, pick: mention });
  $("#mention").hidden = false;
}

// mention writes a link to contact id where the caret was.
let caret = null; // [start, end] of the note's selection when the picker opened
function mention(id, name) {
  const body = $("#body");
  if (current === null) return;
  const [start, end] = caret || [body.value.length, body.value.length];
  const link = "[@" + name.replace(/[\[\]]/g, "") + "](contact:" + id + ")";
  body.setRangeText(link, start, end, "end");
  caret = null;
  if (body.hidden) { chosen = "edit"; applyMode(); }
  body.focus();
  edited();
}

async function open(id) {
  await flush();
  if (!notes.has(id) || notes.get(id).bad) return;
  current = id;
  dirty = false;
  show($("#notes-msg"), "");
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

async function newNote() {
  await flush();
  const now = Date.now();
  const value = { title: "", body: "", created: now, updated: now };
  try {
    const { id, rev } = await app.create(DOCTYPE, value);
    if (!notes.has(id)) notes.set(id, { id, rev, seq: Infinity, value });
    await open(id);
    $("#title").focus();
  } catch (err) {
    fail(err);
  }
}

function bind() {
  for (const b of newButtons()) b.addEventListener("click", newNote);
  $("#title").addEventListener("input", edited);
  $("#body").addEventListener("input", edited);
  $("#search").addEventListener("input", (e) => { filter = e.target.value; renderList(); });
  for (const tab of document.querySelectorAll(".tabs [data-mode]")) {
    tab.addEventListener("click", () => { chosen = tab.dataset.mode; applyMode(); });
  }
  wide.addEventListener("change", applyMode);
  applyMode();
  // The picker inserts where the caret was before it took the focus.
  $("#mention-open").addEventListener("pointerdown", () => { const b = $("#body"); caret = [b.selectionStart, b.selectionEnd]; });
  $("#mention-open").addEventListener("keydown", () => { const b = $("#body"); caret = [b.selectionStart, b.selectionEnd]; });
  // Notes holds no key of io.hearth.tasks: it asks, through Home, the app
  // that creates tasks (spec/apps.md §5), and comes back here.
  $("#make-task").addEventListener("click", async () => {
    if (current === null) return;
    await flush();
    const n = notes.get(current);
    sessionStorage.setItem("notes:return", current);
    app.startIntent({ action: "create", doctype: "io.hearth.tasks", value: { title: shown(n).title || "A task from a note", note: current } });
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
  // Back online: the worker sends what it kept on its own; this only
  // hurries it, by saving what is being typed.
  window.addEventListener("online", () => flush());
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
