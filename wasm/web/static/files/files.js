// Files: a person's files and folders (spec/protocol.md §6.3), every name,
// folder and date sealed in this browser, through the files methods of
// the worker (spec/web.md §3.5): the tree as filesTree gives it, asked
// again when a change comes. A folder tree with breadcrumbs,
// list and grid views sorted by name, date or size, selection (checkboxes,
// shift-click, the keyboard), rename, move (dragging onto a folder or a
// breadcrumb, or "Move to…"), the trash, versions, uploads of files and
// whole folders (files-upload.js), previews (files-preview.js) and
// downloads.
import { $, appWords, ask, el, openLinks, sayer, show, startApp } from "./hearth-kit.js";
import { DOCTYPE, Tree, bytes, cleanName, goodName, icon, kindOf, fromTree, fromVersion, fromWords, sorter, when } from "./files-model.js";
import { askFolder, askName, showVersions } from "./files-dialogs.js";
import { Queue, dropped, folderMaker, picked } from "./files-upload.js";
import { Preview } from "./files-preview.js";
import { askWhere, canAsk, save } from "./files-save.js";
import { Shares } from "./share.js";
import { Done, toast, wireToast } from "./files-toast.js";
import { RowWindow } from "./files-list.js";

const items = new Map(); // id → an item of filesTree, as fromTree reads it
let malformed = [];      // ids of documents that break the format
let tree = new Tree(new Map());
let treeStale = true;    // items changed since tree was built
let app, queue, preview, shares, done; // done: the toasts of what a change did (files-toast.js)
let folder = "";         // the folder shown ("" the root)
let trashView = false;
const sel = new Set();   // ids selected
let anchor = "";         // the item a shift-click selects from
let focusId = "";        // the row that has the focus, kept across drawing
let dragging = "";       // the row being dragged
let shown = [];          // the items listed, in their order (drawItems)
let rows;                // the rows drawn (files-list.js)
const prefs = { view: localStorage.getItem("files:view") || "list", sort: localStorage.getItem("files:sort") || "name", desc: localStorage.getItem("files:desc") === "1" };

const say = sayer(appWords, {
  not_found: "That item no longer exists.",
  exists: "There is an item of that name there already.",
  too_large: "This file is too large for the browser. The command line client takes files of any size.",
  account_full: "Your account is full: delete files, or empty the trash, to make room.",
});
const fail = (err) => show($("#msg"), say(err));
const announce = (words) => { $("#live").textContent = ""; setTimeout(() => { $("#live").textContent = words; }, 50); };

/** nameOf is what an item is called: its name, or for a file of the old format, its id. */
const nameOf = (id) => (id ? items.get(id)?.name || "File " + id.slice(0, 10) : "All files");
const isFolder = (id) => items.get(id)?.kind === "folder";
const live_ = (id) => items.has(id) && !tree.inTrash(id);

// ---- what is stored ----

let loading = null, again = false;
/**
 * load asks the worker for the tree (it reads only what changed since)
 * and draws it; asked while a load runs, it loads once more after.
 */
async function load() {
  if (loading) { again = true; return loading; }
  loading = (async () => {
    try {
      do {
        again = false;
        const r = await app.filesTree();
        items.clear();
        revs.clear();
        for (const it of r.items) { items.set(it.id, fromTree(it)); revs.set(it.id, it.rev); }
        treeStale = true;
        malformed = r.malformed || [];
        draw();
      } while (again);
    } finally {
      loading = null;
    }
  })();
  return loading;
}

/** change runs a change and shows the tree after it; a failure is said (and false). */
async function change(fn) {
  const ok = await Promise.resolve().then(fn).then(() => true, (err) => (fail(err), false));
  await load().catch(fail);
  return ok;
}

// ---- drawing ----

function draw() {
  if (treeStale) { tree = new Tree(items); treeStale = false; } // not at each selection or sort
  if (folder && (!isFolder(folder) || tree.inTrash(folder))) folder = "";
  for (const id of sel) if (!items.has(id) || tree.inTrash(id) !== trashView) sel.delete(id);
  drawCrumbs();
  drawItems();
  drawSelbar();
  $("#trash-view").setAttribute("aria-pressed", String(trashView));
  for (const b of ["#upload-files", "#upload-folder", "#new-folder"]) $(b).hidden = trashView;
  $("#trash-head").hidden = !trashView;
  for (const b of document.querySelectorAll("[data-view]")) b.setAttribute("aria-pressed", String(b.dataset.view === prefs.view));
  $("#sort").value = prefs.sort;
  $("#order").setAttribute("aria-pressed", String(prefs.desc));
  $("#flagged").replaceChildren(...(trashView || folder ? [] : malformed).map((id) => {
    const li = el("li", { className: "flagged" }, el("div", { className: "grow" },
      el("strong", { textContent: "An item could not be shown" }),
      el("div", { className: "muted small", textContent: "Malformed: its document (" + id + ") does not follow the files format." })));
    li.dataset.id = id;
    return li;
  }));
}

function drawCrumbs() {
  const crumb = (id, label, current) => {
    const b = el("button", { type: "button", className: "crumb", textContent: label, title: label });
    b.dataset.folder = id;
    if (current) b.setAttribute("aria-current", "page");
    b.addEventListener("click", () => go(id));
    dropTarget(b, () => id);
    return el("li", {}, b);
  };
  if (trashView) {
    const here = el("span", { className: "crumb here", textContent: "Trash", tabIndex: -1 });
    here.setAttribute("aria-current", "page");
    $("#crumbs").replaceChildren(crumb("", "All files", false), el("li", {}, here));
    return;
  }
  const path = tree.path(folder);
  $("#crumbs").replaceChildren(crumb("", "All files", !folder), ...path.map((id, i) => crumb(id, nameOf(id), i === path.length - 1)));
}

/** shownIds is the items listed now, in their order, as drawItems last sorted them. */
const shownIds = () => shown;

/** listedIds is the items the folder or the trash shows, sorted. */
function listedIds() {
  const ids = trashView
    ? [...items.keys()].filter((id) => tree.items.has(id) && items.get(id).trashed && !tree.inTrash(tree.parent.get(id) || ""))
    : tree.children(folder).filter((id) => !tree.inTrash(id));
  return ids.sort(sorter(tree, prefs.sort, prefs.desc, nameOf));
}

function drawItems() {
  const ids = shown = listedIds();
  const list = $("#items");
  list.className = "items " + prefs.view + "-view" + (trashView ? " in-trash" : "");
  $("#cols").hidden = prefs.view !== "list" || ids.length === 0;
  $("#cols span:last-child").textContent = trashView ? "Deleted" : "Modified";
  const had = document.activeElement && list.contains(document.activeElement);
  rows.set(ids);
  $("#empty").hidden = ids.length > 0;
  $("#empty-line").textContent = trashView ? "The trash is empty." : folder ? "This folder is empty." : "No files yet.";
  $("#empty-more").hidden = trashView;
  $("#empty-trash").disabled = ids.length === 0;
  if (had && focusId) focusRow(focusId);
  performance.mark("hearth:files-drawn");
}

const rowOf = (id) => rows.rowOf(id);

function row(id) {
  const it = items.get(id);
  const name = nameOf(id);
  const kind = it.kind === "folder" ? "folder" : kindOf(it.type, it.name);
  const check = el("input", { type: "checkbox", className: "check", checked: sel.has(id) });
  check.setAttribute("aria-label", "Select " + name);
  check.addEventListener("click", (e) => {
    e.stopPropagation();
    if (e.shiftKey && anchor) selectRange(anchor, id, true);
    else { toggle(id, check.checked); anchor = id; }
  });
  const from = trashView && it.trashed ? fromWords(it) : "";
  const open = el("button", { type: "button", className: "name", title: name }, el("span", { className: "text", textContent: name }),
    ...(from ? [el("span", { className: "from", textContent: from, title: from })] : []));
  open.addEventListener("click", (e) => {
    if (e.shiftKey || e.ctrlKey || e.metaKey) return; // the row's click selects
    e.stopPropagation();
    openItem(id);
  });
  open.addEventListener("focus", () => { focusId = id; });
  const size = bytes(tree.size(id));
  const date = when(trashView ? it.trashed : it.mtime);
  const li = el("li", { className: "item " + it.kind + (sel.has(id) ? " selected" : "") },
    check, el("span", { className: "kind " + kind }, icon(kind)), open,
    el("span", { className: "size", textContent: size }),
    el("span", { className: "date", textContent: date }));
  li.dataset.id = id;
  li.dataset.kind = it.kind;
  li.addEventListener("click", (e) => {
    if (e.shiftKey && anchor) selectRange(anchor, id, e.ctrlKey || e.metaKey);
    else if (e.ctrlKey || e.metaKey) { toggle(id, !sel.has(id)); anchor = id; }
    else { sel.clear(); toggle(id, true); anchor = id; }
  });
  if (!trashView) {
    shares?.mark(li, id);
    li.draggable = true;
    li.addEventListener("dragstart", (e) => {
      const moving = sel.has(id) ? [...sel] : [id];
      e.dataTransfer.setData("application/x-hearth-items", JSON.stringify(moving));
      e.dataTransfer.effectAllowed = "move";
      li.classList.add("dragging");
      dragging = id; // its row stays drawn, wherever the list scrolls
    });
    li.addEventListener("dragend", () => { li.classList.remove("dragging"); dragging = ""; });
    if (it.kind === "folder") dropTarget(li, () => id);
  }
  return li;
}

function drawSelbar() {
  const n = sel.size;
  $("#selbar").hidden = n === 0;
  $("#sel-count").textContent = n === 1 ? "1 selected" : n + " selected";
  const one = n === 1 ? items.get([...sel][0]) : null;
  const vis = {
    download: !trashView, rename: !trashView && !!one, move: !trashView,
    versions: !trashView && one?.kind === "file" && !one.old, trash: !trashView,
    restore: trashView, forever: trashView, clear: true,
    share: !trashView && !!one && !one.old, request: !trashView && one?.kind === "folder",
  };
  for (const b of document.querySelectorAll("#selbar [data-act]")) b.hidden = !vis[b.dataset.act];
}

// ---- selection ----

function toggle(id, on) {
  if (on) sel.add(id); else sel.delete(id);
  const li = rowOf(id);
  if (li) {
    li.classList.toggle("selected", on);
    li.querySelector(".check").checked = on;
  }
  drawSelbar();
}

function selectRange(from, to, add) {
  const ids = shownIds();
  let i = ids.indexOf(from), j = ids.indexOf(to);
  if (i < 0) i = j;
  if (i > j) [i, j] = [j, i];
  if (!add) sel.clear();
  for (const id of ids.slice(i, j + 1)) sel.add(id);
  draw();
}

function focusRow(id) {
  const b = rows.show(id)?.querySelector(".name");
  if (b) { b.focus(); focusId = id; }
}

// The keyboard, on the listing: arrows move (with Shift they select), Space
// selects, Enter opens, Delete puts in the trash, F2 renames, Ctrl+A
// selects all, Escape clears.
function onKey(e) {
  const li = e.target.closest && e.target.closest("li[data-id]");
  if (!li) return;
  const id = li.dataset.id;
  const ids = shownIds();
  const i = ids.indexOf(id);
  const grid = prefs.view === "grid";
  const across = rows.across;
  const moveTo = (j) => {
    j = Math.max(0, Math.min(ids.length - 1, j));
    if (e.shiftKey) { if (!anchor) anchor = id; selectRange(anchor, ids[j], false); } else anchor = ids[j];
    focusRow(ids[j]);
  };
  switch (e.key) {
    case "ArrowDown": moveTo(i + across); break;
    case "ArrowUp": moveTo(i - across); break;
    case "ArrowRight": if (!grid) return; moveTo(i + 1); break;
    case "ArrowLeft": if (!grid) return; moveTo(i - 1); break;
    case "Home": moveTo(0); break;
    case "End": moveTo(ids.length - 1); break;
    case " ":
      if (e.target.type === "checkbox") return;
      toggle(id, !sel.has(id));
      anchor = id;
      break;
    case "Delete":
      if (trashView) return;
      if (!sel.size) toggle(id, true);
      act("trash");
      break;
    case "F2": if (!trashView) { sel.clear(); toggle(id, true); act("rename"); } break;
    case "Escape": sel.clear(); draw(); break;
    case "a":
      if (!(e.ctrlKey || e.metaKey)) return;
      for (const x of ids) sel.add(x);
      draw();
      break;
    default: return;
  }
  e.preventDefault();
}

// ---- going places ----

function go(id, trash = false) {
  const changed = id !== folder || trash !== trashView;
  folder = id;
  trashView = trash;
  if (changed) { sel.clear(); anchor = ""; }
  const hash = trash ? "#trash" : id ? "#folder=" + encodeURIComponent(id) : "";
  if (location.hash !== hash) history.pushState(null, "", location.pathname + location.search + hash);
  draw();
  if (changed) $("#crumbs [aria-current]")?.focus({ focusVisible: false });
}

function fromHash() {
  const h = location.hash;
  if (h === "#trash") { folder = ""; trashView = true; }
  else if (h.startsWith("#folder=")) {
    try { folder = decodeURIComponent(h.slice("#folder=".length)); } catch { folder = ""; }
    trashView = false;
  } else if (!h.startsWith("#open=")) { folder = ""; trashView = false; }
  sel.clear();
}

function openItem(id) {
  const it = items.get(id);
  if (!it) return;
  if (it.kind === "folder") {
    if (trashView) return; // restore it to see inside
    go(id);
    return;
  }
  const files = shownIds().filter((x) => items.get(x).kind === "file");
  preview.open(id, files);
}

// ---- acting on the selection ----

/** siblingNamed is the live item of folder called name, other than except, if any. */
function siblingNamed(parent, name, except) {
  return tree.children(parent).find((k) => k !== except && !tree.inTrash(k) && items.get(k).name === name);
}

function nameProblem(name, parent, except) {
  const n = cleanName(name);
  if (!n) return "Give it a name.";
  if (new TextEncoder().encode(name.trim()).length > 255) return "That name is too long: at most 255 bytes (fewer characters for accented letters and most scripts).";
  if (n !== name.trim() || !goodName(n)) return "A name cannot hold / or \\ or control characters, nor be . or ..";
  if (siblingNamed(parent, n, except)) return "There is an item called “" + n + "” here already.";
  return "";
}

async function act(what) {
  const ids = [...sel].filter((id) => items.has(id));
  show($("#msg"), "");
  switch (what) {
    case "clear": sel.clear(); draw(); return;
    case "download": return download(ids).catch(fail);
    case "rename": {
      const id = ids[0];
      const parent = tree.parent.get(id) || "";
      const name = await askName("Rename", nameOf(id), "Rename", (n) => (n.trim() === nameOf(id) ? "" : nameProblem(n, parent, id)));
      if (name === null || name.trim() === nameOf(id)) return;
      const was = nameOf(id);
      if (await change(() => app.filesRename(id, cleanName(name)))) done.renamed(id, was);
      return;
    }
    case "move": {
      const to = await askFolder(ids.length === 1 ? "Move “" + nameOf(ids[0]) + "” to…" : "Move " + ids.length + " items to…", tree,
        (f) => ids.some((id) => isFolder(id) && tree.below(f, id)), nameOf, folder);
      if (to === null) return;
      return moveInto(ids, to);
    }
    case "versions": {
      const id = ids[0];
      let vs;
      try { vs = await app.filesVersions(id); } catch (err) { return fail(err); }
      const i = await showVersions(nameOf(id), items.get(id), vs.map(fromVersion));
      if (i === null) return;
      if (await change(() => app.filesRestoreVersion(id, i))) toast("The earlier version of “" + nameOf(id) + "” is the current one");
      return;
    }
    case "trash":
      sel.clear();
      if (await change(() => app.filesTrash(ids))) done.trashed(ids);
      return;
    case "restore": {
      sel.clear();
      const before = done.before(ids);
      if (await change(() => app.filesRestore(ids))) done.restored(ids, before);
      return;
    }
    case "forever":
      if (!(await ask(ids.length === 1 ? "Delete “" + nameOf(ids[0]) + "” forever?" : "Delete " + ids.length + " items forever?", "Delete forever",
        "With what they hold and their earlier versions. This cannot be undone."))) return;
      sel.clear();
      if (await change(() => app.filesDeleteForever(ids))) toast("Deleted forever");
      return;
    case "share": return shares.share(ids[0]);
    case "request": return shares.request(ids[0]);
  }
}


/** moveInto moves ids into folder to, refusing a folder into itself and a name taken there. */
async function moveInto(ids, to) {
  ids = ids.filter((id) => (tree.parent.get(id) || "") !== to);
  for (const id of ids) {
    if (isFolder(id) && tree.below(to, id)) return fail({ message: "A folder cannot go into itself or a folder inside it." });
    if (siblingNamed(to, nameOf(id), id)) return fail({ message: "“" + nameOf(to) + "” has an item called “" + nameOf(id) + "” already." });
  }
  if (!ids.length) return;
  sel.clear();
  const from = new Map(ids.map((id) => [id, tree.parent.get(id) || ""]));
  if (await change(() => app.filesMove(ids, to))) done.moved(from, to);
}

/** dropTarget makes e take items dragged from the listing, into the folder target() names. */
function dropTarget(e, target) {
  const ours = (ev) => ev.dataTransfer && [...ev.dataTransfer.types].includes("application/x-hearth-items");
  e.addEventListener("dragover", (ev) => {
    if (!ours(ev) || trashView) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = "move";
    e.classList.add("drop-on");
  });
  e.addEventListener("dragleave", () => e.classList.remove("drop-on"));
  e.addEventListener("drop", (ev) => {
    e.classList.remove("drop-on");
    if (!ours(ev)) return;
    ev.preventDefault();
    ev.stopPropagation();
    let ids = [];
    try { ids = JSON.parse(ev.dataTransfer.getData("application/x-hearth-items")); } catch { return; }
    moveInto(ids.filter((id) => items.has(id)), target());
  });
}

// ---- downloads ----

async function download(ids) {
  if (ids.length === 1 && items.get(ids[0]).kind === "file") return save(app, ids[0], nameOf(ids[0]), announce);
  return save(app, { ids }, ids.length === 1 ? nameOf(ids[0]) + ".zip" : (folder ? nameOf(folder) : "Files") + ".zip", announce);
}

// ---- starting ----

let soon = 0; // a load after changes came

// ---- changes heard ----
// The feed tells of each change (all 10,000 when this browser catches up
// with a folder another device filled): one listing follows them, and
// none when the listing shown, or under way, has them already.
const revs = new Map(); // id → the revision listed
let heard = [];
function heardChange(ch) {
  heard.push(ch);
  clearTimeout(soon);
  soon = setTimeout(afterChanges, 50);
}
async function afterChanges() {
  if (loading) await loading.catch(() => {});
  const news = heard.filter((ch) => (ch.deleted ? revs.has(ch.id) : !(revs.get(ch.id) >= ch.rev)));
  heard = [];
  if (news.length) load().catch(fail);
}

async function main() {
  app = await startApp("files");
  if (!app) return;
  // What this page writes shows at once (and the next upload sees it),
  // before the feed brings it back; an older revision never replaces a newer.
  preview = new Preview({
    download: (id, p) => app.download(id, p),
    nameOf, itemOf: (id) => items.get(id), say,
    save: (id) => save(app, id, nameOf(id), announce).catch(fail),
  });
  queue = new Queue({
    say,
    changed: () => load().catch(fail),
    folder: folders.ensure,
    put: (file, name, parent, onProgress, signal) => app.upload(file, onProgress, { folder: parent, signal }),
  });
  // Links (share.js): the rows' "Shared" mark, the dialogs, and drops,
  // adopted when the app opens and when it comes back into view.
  shares = new Shares({ app, nameOf, redraw: () => draw(), changed: () => load(), announce, fail });
  done = new Done({ app, change, nameOf, item: (id) => items.get(id), placed: (id) => tree.path(tree.parent.get(id) || "") });
  rows = new RowWindow($("#items"), row, () => [focusId, dragging].filter(Boolean));
  fromHash();
  addEventListener("popstate", () => { fromHash(); draw(); });
  wire();
  performance.mark("hearth:app-open");
  // Following starts before the first listing, so that no change is missed.
  app.subscribe([DOCTYPE], heardChange, fail);
  await load();
  performance.mark("hearth:files-listed");
  openLinks((id) => {
    if (!items.has(id)) return fail({ code: "not_found" });
    if (isFolder(id)) go(id);
    else { go(tree.parent.get(id) || ""); openItem(id); }
  });
  for (const b of ["#upload-files", "#upload-folder", "#new-folder"]) $(b).disabled = false;
  await shares.refresh().catch(fail);
  await shares.adopt().catch(fail);
  addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") shares.refresh().then(() => shares.adopt()).catch(fail); });
  document.body.dataset.ready = "true";
}

// The folders uploads go into, found or made (files-upload.js).
const folders = folderMaker(
  async (parent, name) => {
    await load();
    return tree.children(parent).find((k) => isFolder(k) && !tree.inTrash(k) && items.get(k).name === name);
  },
  async (parent, name) => (await app.filesMkdir(parent, name)).id);

function wire() {
  $("#upload-files").addEventListener("click", () => $("#pick-files").click());
  $("#upload-folder").addEventListener("click", () => $("#pick-folder").click());
  for (const input of [$("#pick-files"), $("#pick-folder")]) {
    input.addEventListener("change", () => {
      folders.clear();
      queue.add(folder, picked(input));
      input.value = "";
    });
  }
  $("#new-folder").addEventListener("click", async () => {
    const name = await askName("New folder", "", "Make", (n) => nameProblem(n, folder, ""));
    if (name === null) return;
    let id = "";
    await change(async () => { id = (await app.filesMkdir(folder, cleanName(name))).id; });
    if (id) focusRow(id);
  });
  $("#sort").addEventListener("change", () => { prefs.sort = $("#sort").value; localStorage.setItem("files:sort", prefs.sort); draw(); });
  $("#order").addEventListener("click", () => { prefs.desc = !prefs.desc; localStorage.setItem("files:desc", prefs.desc ? "1" : ""); draw(); });
  for (const b of document.querySelectorAll("[data-view]")) {
    b.addEventListener("click", () => { prefs.view = b.dataset.view; localStorage.setItem("files:view", prefs.view); draw(); });
  }
  $("#trash-view").addEventListener("click", () => go("", !trashView));
  $("#links-view").addEventListener("click", () => shares.view());
  $("#drops-close").addEventListener("click", () => { shares.adopted = []; shares.drawDrops(); });
  $("#ask-where-row").hidden = !canAsk();
  $("#ask-where").checked = askWhere();
  $("#ask-where").addEventListener("change", () => localStorage.setItem("files:ask-where", $("#ask-where").checked ? "1" : ""));
  $("#empty-trash").addEventListener("click", async () => {
    if (!shownIds().length || !(await ask("Empty the trash?", "Empty trash", "Everything in it is deleted for good, with its earlier versions. This cannot be undone."))) return;
    if (await change(() => app.filesEmptyTrash())) toast("The trash is empty: what it held is deleted for good");
  });
  for (const b of document.querySelectorAll("#selbar [data-act]")) b.addEventListener("click", () => act(b.dataset.act));
  $("#items").addEventListener("keydown", onKey);
  wireToast();

  // Files and folders dragged in from outside the page upload into the
  // folder shown, or the folder row they are dropped on.
  // The hint names where they would go, and the folder row under the
  // pointer is marked.
  const outside = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");
  let depth = 0;
  let over = null; // the folder row under the pointer, if any
  const aim = (row) => {
    if (row !== over) { over?.classList.remove("drop-on"); row?.classList.add("drop-on"); over = row; }
    $("#drop-where").textContent = "Drop to upload into “" + nameOf(row ? row.dataset.id : folder) + "”";
  };
  const rowAt = (e) => (e.target.closest && e.target.closest("li[data-kind=folder]")) || null;
  addEventListener("dragenter", (e) => {
    if (!outside(e) || trashView) return;
    depth++;
    aim(rowAt(e));
    $("#drop-hint").hidden = false;
  });
  addEventListener("dragleave", (e) => { if (outside(e) && --depth <= 0) { depth = 0; aim(null); $("#drop-hint").hidden = true; } });
  addEventListener("dragover", (e) => {
    if (!outside(e) || trashView) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    aim(rowAt(e));
  });
  addEventListener("drop", async (e) => {
    if (!outside(e)) return;
    e.preventDefault();
    depth = 0;
    aim(null);
    $("#drop-hint").hidden = true;
    if (trashView) return;
    const onto = e.target.closest && e.target.closest("li[data-kind=folder]");
    const into = onto ? onto.dataset.id : folder;
    try {
      const got = await dropped(e.dataTransfer);
      folders.clear();
      queue.add(into, got);
    } catch (err) { fail(err); }
  });
}

main().catch((err) => {
  if (err && err.code !== "session_ended") fail(err);
});
