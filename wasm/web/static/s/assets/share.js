// share.js — the share-link page (spec/web.md §7.3): asks for the password
// when the link has one, opens the link in the worker, shows a file (with a
// preview) or a folder's tree, and saves files or a zip of all, each
// verified before the browser gets it.
import { $, LinkWorker, explain, fail, formatSize, formatWait, linkFromAddress, say, show } from "./link-page.js";

const link = linkFromAddress();
const VERSIONS = "hearth-link-version:"; // localStorage: the highest manifest version opened, per link id
let worker = null;
let manifest = null;

function seen() {
  try { return Number(localStorage.getItem(VERSIONS + link.id)) || 0; } catch { return 0; }
}

function remember(version) {
  try {
    if (version > seen()) localStorage.setItem(VERSIONS + link.id, String(version));
  } catch { /* storage off: replays are caught only within this page */ }
}

async function open(password) {
  const r = await worker.call("open", [link.url, password, seen()]);
  remember(r.version);
  manifest = JSON.parse(r.manifest);
  if (manifest.kind === "file") showFile(); else showFolder();
}

// ---- saving ----

async function save(paths, zip, name, msg, button) {
  button.disabled = true;
  say(msg, "Decrypting and checking…");
  try {
    const r = await worker.call("save", [paths, zip], (done, total) => {
      say(msg, "Decrypting and checking… " + (total ? Math.floor((100 * done) / total) + "%" : formatSize(done)));
    });
    const url = URL.createObjectURL(r.file);
    const a = Object.assign(document.createElement("a"), { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    say(msg, "Saved " + name + " (" + formatSize(r.file.size) + "), checked end to end.");
    setTimeout(() => { URL.revokeObjectURL(url); worker.call("saveDone", [r.temp]); }, 60000);
  } catch (err) {
    if (err.code === "integrity" || err.code === "gone") return fail(err);
    say(msg, "Could not save " + name + ": " + explain(err)[1], true);
  } finally {
    button.disabled = false;
  }
}

// ---- a file ----

const IMAGE = /^image\/(png|jpeg|gif|webp|avif|bmp|svg\+xml)$/;
const TEXT = /^(text\/(plain|markdown|csv)|application\/json)$/;
const MAX_PREVIEW = 64 << 20;

function baseName(p) { return String(p).split("/").pop(); }

function fileEntry() { return manifest.entries.find((e) => !e.folder); }

function describe(e) {
  return formatSize(e.length) + (e.type ? " · " + e.type : "") + (e.mtime ? " · " + new Date(e.mtime * 1000).toLocaleDateString() : "");
}

async function showFile() {
  const e = fileEntry();
  if (!e) return fail({ code: "integrity" });
  const name = manifest.name || baseName(e.path);
  $("#file-name").textContent = name;
  document.title = name + " · Hearth";
  $("#file-meta").textContent = describe(e);
  $("#file-download").onclick = () => save([e.path], false, name, $("#file-msg"), $("#file-download"));
  show("file");
  const type = String(e.type || "").toLowerCase();
  const kind = IMAGE.test(type) ? "image" : /^audio\//.test(type) ? "audio" : /^video\//.test(type) ? "video"
    : type === "application/pdf" ? "pdf" : TEXT.test(type) ? "text" : "";
  if (!kind || e.length > MAX_PREVIEW) { document.body.dataset.state = "file"; return; }
  const box = $("#preview");
  box.hidden = false;
  box.textContent = "Decrypting the preview…";
  try {
    const r = await worker.call("save", [[e.path], false]);
    const blob = r.file.slice(0, r.file.size, type);
    let el;
    if (kind === "text") {
      el = document.createElement("pre");
      el.textContent = await blob.slice(0, 1 << 20).text();
    } else {
      const url = URL.createObjectURL(blob);
      if (kind === "image") el = Object.assign(document.createElement("img"), { src: url, alt: name });
      else if (kind === "pdf") el = Object.assign(document.createElement("iframe"), { src: url, title: name });
      else el = Object.assign(document.createElement(kind), { src: url, controls: true });
      if (kind === "image") {
        await el.decode().catch(() => {});
      }
    }
    box.replaceChildren(el);
    document.body.dataset.state = "file-preview";
    if (kind === "image" && typeof performance !== "undefined") performance.mark("hearth-link-image");
  } catch (err) {
    if (err.code === "integrity" || err.code === "gone") return fail(err);
    box.textContent = "No preview: " + explain(err)[1];
    document.body.dataset.state = "file";
  }
}

// ---- a folder ----

function showFolder() {
  const name = manifest.name || "Shared folder";
  $("#folder-name").textContent = name;
  document.title = name + " · Hearth";
  const files = manifest.entries.filter((e) => !e.folder);
  const total = files.reduce((n, e) => n + (Number(e.length) || 0), 0);
  $("#folder-meta").textContent = files.length + (files.length === 1 ? " file, " : " files, ") + formatSize(total);
  const zipName = name.replace(/[\\/:*?"<>|]/g, "_") + ".zip";
  $("#folder-zip").onclick = () => save([], true, zipName, $("#folder-msg"), $("#folder-zip"));
  const tree = $("#tree");
  tree.replaceChildren();
  // A folder that holds files is implied by their paths: list it too.
  const paths = new Set(manifest.entries.map((e) => e.path));
  const entries = [...manifest.entries];
  for (const e of manifest.entries) {
    const parts = e.path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      if (!paths.has(p)) { paths.add(p); entries.push({ path: p, folder: true }); }
    }
  }
  entries.sort(byPath);
  for (const e of entries) {
    const depth = e.path.split("/").length - 1;
    const li = document.createElement("li");
    li.style.setProperty("--depth", String(depth));
    li.className = e.folder ? "folder" : "file";
    const label = document.createElement("span");
    label.className = "name";
    label.textContent = baseName(e.path) + (e.folder ? "/" : "");
    label.title = e.path;
    li.append(label);
    if (!e.folder) {
      const size = Object.assign(document.createElement("span"), { className: "muted size", textContent: formatSize(e.length) });
      const b = Object.assign(document.createElement("button"), { type: "button", className: "secondary small", textContent: "Download" });
      b.setAttribute("aria-label", "Download " + baseName(e.path));
      b.onclick = () => save([e.path], false, baseName(e.path), $("#folder-msg"), b);
      li.append(size, b);
    }
    tree.append(li);
  }
  document.body.dataset.state = "folder";
  show("folder");
}

// ---- start ----

async function start() {
  if (link.kind !== "s" || !link.hasKey) return fail({ code: "no_key" });
  try {
    worker = await LinkWorker.start();
  } catch (err) {
    return fail(err);
  }
  try {
    await open("");
  } catch (err) {
    if (err.code !== "password_needed") return fail(err);
    document.body.dataset.state = "password";
    show("password");
    $("#pw-form input").focus();
  }
}

$("#pw-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const button = form.querySelector("button");
  button.disabled = true;
  say($("#pw-msg"), "");
  button.textContent = "Opening…";
  try {
    await open(form.password.value);
  } catch (err) {
    if (err.code === "wrong_password") {
      say($("#pw-msg"), "Wrong password. Check it (capitals count) and try again.", true);
      document.body.dataset.state = "password-wrong";
    } else if (err.code === "rate_limited") {
      say($("#pw-msg"), "Too many wrong passwords for this link. Try again in " + formatWait(err.retryAfter) + ".", true);
      document.body.dataset.state = "password-limited";
    } else {
      fail(err);
    }
  } finally {
    button.disabled = false;
    button.textContent = "Open";
  }
});

start();

// byPath orders paths as Files orders names (file-2 before file-10, case
// aside), folder by folder, so that what a folder holds follows it.
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
function byPath(a, b) {
  const x = a.path.split("/"), y = b.path.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = collator.compare(x[i], y[i]) || (x[i] < y[i] ? -1 : x[i] > y[i] ? 1 : 0);
    if (c) return c;
  }
  return x.length - y.length;
}
