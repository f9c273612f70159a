// Files: a person's files and folders (spec/protocol.md §6.3), every name,
// folder and date sealed in this browser. A folder tree with breadcrumbs,
// list and grid views sorted by name, date or size, selection (checkboxes,
// shift-click, the keyboard), rename, move (dragging onto a folder or a
// breadcrumb, or "Move to…"), the trash, versions, uploads of files and
// whole folders (files-upload.js), previews (files-preview.js) and
// downloads.
import { $, appWords, ask, el, live, openLinks, sayer, show, startApp } from "./hearth-kit.js";
import { DOCTYPE, Tree, bytes, cleanName, goodName, icon, kindOf, read, sorter, when } from "./files-model.js";
import { Ops } from "./files-ops.js";
import { askFolder, askName, showVersions } from "./files-dialogs.js";
import { Queue, dropped, picked } from "./files-upload.js";
import { Preview } from "./files-preview.js";
import { askWhere, canAsk, save } from "./files-save.js";

const raw = new Map();   // id → { rev, value }: the documents as listed
const items = new Map(); // id → read(value) of the files and folders
const flagged = new Map(); // id → { bad, what }
let tree = new Tree(new Map());
let app, ops, queue, preview;
let folder = "";         // the folder shown ("" the root)
let trashView = false;
const sel = new Set();   // ids selected
let anchor = "";         // the item a shift-click selects from
let focusId = "";        // the row that has the focus, kept across drawing
const prefs = { view: localStorage.getItem("files:view") || "list", sort: localStorage.getItem("files:sort") || "name", desc: localStorage.getItem("files:desc") === "1" };

const say = sayer(appWords, {
  not_found: "That item no longer exists.",
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

function keep(d) {
  // A change older than what this page wrote since (the feed's echo of an
  // earlier write) is no news.
  if ((raw.get(d.id)?.rev ?? 0) > d.rev) return false;
  raw.set(d.id, { rev: d.rev, value: d.value });
  let it;
  try { it = read(d.value); } catch { it = { bad: "it cannot be read", what: "item" }; }
  items.delete(d.id);
  flagged.delete(d.id);
  if (it.bad) flagged.set(d.id, it);
  else if (it.kind === "file" || it.kind === "folder") items.set(d.id, it);
}

function drop(id) {
  raw.delete(id);
  items.delete(id);
  flagged.delete(id);
  sel.delete(id);
}

// ---- drawing ----

let drawing = 0;
/** redraw draws at the next frame, once however many changes came. */
function redraw() {
  if (drawing) return;
  drawing = requestAnimationFrame(() => { drawing = 0; draw(); });
}

/** freshTree builds the tree again from the items as they are now. */
function freshTree() {
  tree = new Tree(new Map([...items].filter(([id]) => !ops.adopting.has(id))));
}

function draw() {
  freshTree();
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
  $("#flagged").replaceChildren(...[...flagged].map(([id, f]) => {
    const li = el("li", { className: "flagged" }, el("div", { className: "grow" },
      el("strong", { textContent: "This " + f.what + " could not be shown" }),
      el("div", { className: "muted small", textContent: "Malformed: " + f.bad + "." })));
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

/** shownIds is the items listed now, in their order. */
function shownIds() {
  const ids = trashView
    ? [...items.keys()].filter((id) => tree.items.has(id) && items.get(id).trashed && !tree.inTrash(tree.parent.get(id) || ""))
    : tree.children(folder).filter((id) => !tree.inTrash(id));
  return ids.sort(sorter(tree, prefs.sort, prefs.desc, nameOf));
}

function drawItems() {
  const ids = shownIds();
  const list = $("#items");
  list.className = "items " + prefs.view + "-view";
  $("#cols").hidden = prefs.view !== "list" || ids.length === 0;
  const had = document.activeElement && list.contains(document.activeElement);
  list.replaceChildren(...ids.map(row));
  $("#empty").hidden = ids.length > 0;
  $("#empty-line").textContent = trashView ? "The trash is empty." : folder ? "This folder is empty." : "No files yet.";
  $("#empty-more").hidden = trashView;
  $("#empty-trash").disabled = ids.length === 0;
  if (had && focusId) focusRow(focusId);
  performance.mark("hearth:files-drawn");
}

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
  const open = el("button", { type: "button", className: "name", title: name }, el("span", { className: "text", textContent: name }));
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
    li.draggable = true;
    li.addEventListener("dragstart", (e) => {
      const moving = sel.has(id) ? [...sel] : [id];
      e.dataTransfer.setData("application/x-hearth-items", JSON.stringify(moving));
      e.dataTransfer.effectAllowed = "move";
      li.classList.add("dragging");
    });
    li.addEventListener("dragend", () => li.classList.remove("dragging"));
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
    restore: trashView, forget: trashView, clear: true,
  };
  for (const b of document.querySelectorAll("#selbar [data-act]")) b.hidden = !vis[b.dataset.act];
}

// ---- selection ----

function toggle(id, on) {
  if (on) sel.add(id); else sel.delete(id);
  const li = document.querySelector(`#items li[data-id="${CSS.escape(id)}"]`);
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
  const b = document.querySelector(`#items li[data-id="${CSS.escape(id)}"] .name`);
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
  const across = grid ? Math.max(1, Math.round($("#items").clientWidth / li.offsetWidth)) : 1;
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
      if (!sel.size) toggle(id, true);
      act(trashView ? "forget" : "trash");
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
  if (n !== name.trim() || !goodName(n)) return "A name cannot hold / or \\ or control characters, nor be . or ..";
  if (siblingNamed(parent, n, except)) return "There is an item called “" + n + "” here already.";
  return "";
}

async function act(what) {
  const ids = [...sel].filter((id) => items.has(id));
  show($("#msg"), "");
  try {
    switch (what) {
      case "clear": sel.clear(); draw(); return;
      case "download": return await download(ids);
      case "rename": {
        const id = ids[0];
        const parent = tree.parent.get(id) || "";
        const name = await askName("Rename", nameOf(id), "Rename", (n) => (n.trim() === nameOf(id) ? "" : nameProblem(n, parent, id)));
        if (name === null || name.trim() === nameOf(id)) return;
        await ops.rename(id, cleanName(name));
        announce("Renamed to " + cleanName(name));
        break;
      }
      case "move": {
        const to = await askFolder(ids.length === 1 ? "Move “" + nameOf(ids[0]) + "” to…" : "Move " + ids.length + " items to…", tree,
          (f) => ids.some((id) => isFolder(id) && tree.below(f, id)), nameOf, folder);
        if (to === null) return;
        await moveInto(ids, to);
        return;
      }
      case "versions": {
        const id = ids[0];
        const i = await showVersions(nameOf(id), items.get(id));
        if (i === null) return;
        await ops.restoreVersion(id, i);
        announce("Version restored");
        break;
      }
      case "trash":
        for (const id of ids) await ops.trash(id);
        sel.clear();
        announce(ids.length === 1 ? "Moved to the trash" : ids.length + " items moved to the trash");
        break;
      case "restore":
        for (const id of ids) {
          const p = items.get(id).parent;
          await ops.restore(id, !!p && isFolder(p) && !tree.inTrash(p) && !items.get(p).trashed);
        }
        sel.clear();
        announce("Restored");
        break;
      case "forget": {
        if (!(await ask(ids.length === 1 ? "Delete “" + nameOf(ids[0]) + "” forever?" : "Delete " + ids.length + " items forever?", "Delete forever",
          "What is in them goes too. This cannot be undone."))) return;
        await forget(ids);
        sel.clear();
        break;
      }
    }
  } catch (err) {
    fail(err);
  }
  draw();
}

/** forget deletes ids and all below them for good: files first, then folders from the deepest. */
async function forget(ids) {
  const all = new Set();
  for (const id of ids) { all.add(id); for (const d of tree.descendants(id)) all.add(d); }
  const depth = (id) => tree.path(id).length;
  const order = [...all].sort((a, b) => (isFolder(a) - isFolder(b)) || (depth(b) - depth(a)));
  await ops.remove(order);
  for (const id of order) drop(id);
}

/** moveInto moves ids into folder to, refusing a folder into itself and a name taken there. */
async function moveInto(ids, to) {
  ids = ids.filter((id) => (tree.parent.get(id) || "") !== to);
  for (const id of ids) {
    if (isFolder(id) && tree.below(to, id)) throw Object.assign(new Error("A folder cannot go into itself or a folder inside it."), { code: "" });
    if (siblingNamed(to, nameOf(id), id)) throw Object.assign(new Error("“" + nameOf(to) + "” has an item called “" + nameOf(id) + "” already."), { code: "" });
  }
  for (const id of ids) await ops.move(id, to);
  if (ids.length) announce((ids.length === 1 ? "Moved to " : ids.length + " items moved to ") + nameOf(to));
  sel.clear();
  draw();
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
    moveInto(ids.filter((id) => items.has(id)), target()).catch(fail);
  });
}

// ---- downloads ----

async function download(ids) {
  if (ids.length === 1 && items.get(ids[0]).kind === "file") {
    await save(app, ids[0], nameOf(ids[0]), announce);
    return;
  }
  await save(app, ids, zipName(ids), announce, (id) => zipEntries(id));
}

function zipName(ids) {
  if (ids.length === 1) return nameOf(ids[0]) + ".zip";
  return (folder ? nameOf(folder) : "Files") + ".zip";
}

/** zipEntries is the entries of a zip of the items ids: [{path, id?}] (a folder's path ends in /). */
function zipEntries(ids) {
  const out = [];
  const used = new Set();
  // Two items of one name in a folder (two devices made them at once) get
  // " (2)" and so on before the extension.
  const unique = (prefix, name) => {
    let p = prefix + name;
    for (let n = 2; used.has(p.toLowerCase()); n++) {
      const dot = name.lastIndexOf(".");
      p = prefix + (dot > 0 ? name.slice(0, dot) + " (" + n + ")" + name.slice(dot) : name + " (" + n + ")");
    }
    used.add(p.toLowerCase());
    return p;
  };
  const add = (id, prefix) => {
    if (tree.inTrash(id) && !trashView) return;
    const it = items.get(id);
    const path = unique(prefix, cleanName(nameOf(id)) || "file");
    if (it.kind === "file") { out.push({ path, id, mtime: it.mtime, length: it.length }); return; }
    out.push({ path: path + "/", mtime: it.mtime });
    for (const k of tree.children(id)) add(k, path + "/");
  };
  for (const id of ids) add(id, "");
  return out;
}

// ---- starting ----

async function main() {
  app = await startApp("files");
  if (!app) return;
  // What this page writes shows at once (and the next upload sees it),
  // before the feed brings it back; an older revision never replaces a newer.
  ops = new Ops(app, raw, (d) => {
    if (d.deleted) drop(d.id);
    else if ((raw.get(d.id)?.rev ?? 0) <= d.rev) keep(d);
    freshTree();
    redraw();
  });
  preview = new Preview({
    download: (id, p) => app.download(id, p),
    nameOf, itemOf: (id) => items.get(id), say,
    save: (id) => save(app, id, nameOf(id), announce).catch(fail),
  });
  queue = new Queue({
    say,
    changed: redraw,
    folder: ensureFolder,
    put: (file, name, parent, onProgress, signal) => {
      freshTree();
      const same = tree.children(parent).find((k) => !tree.inTrash(k) && items.get(k).kind === "file" && items.get(k).name === name);
      return ops.upload(file, name, parent, same, onProgress, signal);
    },
  });
  fromHash();
  addEventListener("popstate", () => { fromHash(); draw(); });
  wire();
  performance.mark("hearth:app-open");
  await live(app, DOCTYPE, { keep, drop, draw: () => { draw(); performance.mark("hearth:files-listed"); }, redraw, onError: fail });
  openLinks((id) => {
    if (!items.has(id)) return fail({ code: "not_found" });
    if (isFolder(id)) go(id);
    else { go(tree.parent.get(id) || ""); openItem(id); }
  });
  for (const b of ["#upload-files", "#upload-folder", "#new-folder"]) $(b).disabled = false;
  document.body.dataset.ready = "true";
}

// ensureFolder is the folder at the path dirs below base, made where missing
// (one at a time: two uploads into a new folder make it once).
const making = new Map();
function ensureFolder(base, dirs) {
  let p = Promise.resolve(base);
  dirs.forEach((name, i) => {
    const key = base + "/" + dirs.slice(0, i + 1).join("/");
    const prev = p;
    if (!making.has(key)) {
      making.set(key, prev.then(async (parent) => {
        freshTree();
        const there = tree.children(parent).find((k) => isFolder(k) && !tree.inTrash(k) && items.get(k).name === name);
        if (there) return there;
        return ops.mkdir(name, parent);
      }).catch((err) => { making.delete(key); throw err; }));
    }
    p = making.get(key);
  });
  return p;
}

function wire() {
  $("#upload-files").addEventListener("click", () => $("#pick-files").click());
  $("#upload-folder").addEventListener("click", () => $("#pick-folder").click());
  for (const input of [$("#pick-files"), $("#pick-folder")]) {
    input.addEventListener("change", () => {
      making.clear();
      queue.add(folder, picked(input));
      input.value = "";
    });
  }
  $("#new-folder").addEventListener("click", async () => {
    const name = await askName("New folder", "", "Make", (n) => nameProblem(n, folder, ""));
    if (name === null) return;
    try {
      const id = await ops.mkdir(cleanName(name), folder);
      draw();
      focusRow(id);
    } catch (err) { fail(err); }
  });
  $("#sort").addEventListener("change", () => { prefs.sort = $("#sort").value; localStorage.setItem("files:sort", prefs.sort); draw(); });
  $("#order").addEventListener("click", () => { prefs.desc = !prefs.desc; localStorage.setItem("files:desc", prefs.desc ? "1" : ""); draw(); });
  for (const b of document.querySelectorAll("[data-view]")) {
    b.addEventListener("click", () => { prefs.view = b.dataset.view; localStorage.setItem("files:view", prefs.view); draw(); });
  }
  $("#trash-view").addEventListener("click", () => go("", !trashView));
  $("#ask-where-row").hidden = !canAsk();
  $("#ask-where").checked = askWhere();
  $("#ask-where").addEventListener("change", () => localStorage.setItem("files:ask-where", $("#ask-where").checked ? "1" : ""));
  $("#empty-trash").addEventListener("click", async () => {
    const top = shownIds();
    if (!top.length || !(await ask("Empty the trash?", "Empty trash", "Everything in it is deleted for good. This cannot be undone."))) return;
    try { await forget(top); announce("The trash is empty"); } catch (err) { fail(err); }
    draw();
  });
  for (const b of document.querySelectorAll("#selbar [data-act]")) b.addEventListener("click", () => act(b.dataset.act));
  $("#items").addEventListener("keydown", onKey);

  // Files and folders dragged in from outside the page upload into the
  // folder shown, or the folder row they are dropped on.
  const outside = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");
  let depth = 0;
  addEventListener("dragenter", (e) => {
    if (!outside(e) || trashView) return;
    depth++;
    $("#drop-where").textContent = "Drop to upload into “" + nameOf(folder) + "”";
    $("#drop-hint").hidden = false;
  });
  addEventListener("dragleave", (e) => { if (outside(e) && --depth <= 0) { depth = 0; $("#drop-hint").hidden = true; } });
  addEventListener("dragover", (e) => { if (outside(e) && !trashView) { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; } });
  addEventListener("drop", async (e) => {
    if (!outside(e)) return;
    e.preventDefault();
    depth = 0;
    $("#drop-hint").hidden = true;
    if (trashView) return;
    const onto = e.target.closest && e.target.closest("li[data-kind=folder]");
    const into = onto ? onto.dataset.id : folder;
    try {
      const got = await dropped(e.dataTransfer);
      making.clear();
      queue.add(into, got);
    } catch (err) { fail(err); }
  });
}

main().catch((err) => {
  if (err && err.code !== "session_ended") fail(err);
});
