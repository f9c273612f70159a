// drop.js — the drop-link page (spec/web.md §7.4): shows the link's limits,
// takes files by picker or drag and drop into a queue, and sends each,
// encrypted in the worker to the owner's key (whose tag the worker checks
// first), with its progress.
import { $, LinkWorker, explain, fail, formatSize, linkFromAddress, say, show } from "./link-page.js";

const link = linkFromAddress();
let worker = null;
let info = null;
const queue = []; // {file, li, bar, status, state: "waiting"|"sending"|"sent"|"failed"}

// The drop limits from the link's public information (§8.12.2): files
// left, bytes per file (sealed; a file's own size must leave room for
// the encryption's few hundred bytes), bytes left in total.
function left() {
  const d = info.drop || {};
  const sending = queue.filter((q) => q.state === "waiting" || q.state === "sending");
  return {
    files: Math.max(0, (d.max_files || 0) - (d.files || 0) - sending.length),
    total: Math.max(0, (d.max_total || 0) - (d.bytes || 0) - sending.reduce((n, q) => n + q.file.size, 0)),
    perFile: d.max_file_size || 0,
  };
}

function showLimits() {
  const l = left();
  const n = queue.filter((q) => q.state === "waiting").length;
  // What is left once the files waiting here are sent, said so.
  const lead = n ? "Once these are sent, this link takes" : "You can send";
  $("#limits").textContent = `${lead} ${l.files} more ${l.files === 1 ? "file" : "files"}, each up to ${formatSize(l.perFile)}, ${formatSize(l.total)} in all.`;
  $("#send").disabled = n === 0;
  $("#send").textContent = n > 1 ? `Send ${n} files` : "Send";
}

function add(files) {
  for (const file of files) {
    const l = left();
    const li = document.createElement("li");
    const name = Object.assign(document.createElement("span"), { className: "name", textContent: file.name });
    const size = Object.assign(document.createElement("span"), { className: "muted size", textContent: formatSize(file.size) });
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = 0;
    bar.setAttribute("aria-label", "Progress of " + file.name);
    const status = Object.assign(document.createElement("span"), { className: "status muted", textContent: "Waiting" });
    li.append(name, size, bar, status);
    const q = { file, li, bar, status, state: "waiting" };
    if (l.files < 1) { q.state = "failed"; status.textContent = "Not sent: the link takes no more files"; }
    else if (l.perFile && file.size + 1024 > l.perFile) { q.state = "failed"; status.textContent = "Not sent: larger than this link allows"; }
    else if (file.size > l.total) { q.state = "failed"; status.textContent = "Not sent: over what this link still takes"; }
    if (q.state === "failed") li.classList.add("failed");
    queue.push(q);
    $("#queue").append(li);
  }
  showLimits();
}

async function sendAll() {
  $("#send").disabled = true;
  say($("#drop-msg"), "");
  let sent = 0;
  for (const q of queue) {
    if (q.state !== "waiting") continue;
    q.state = "sending";
    q.status.textContent = "Encrypting and sending…";
    try {
      await worker.call("drop", [link.url, q.file], (done, total) => { q.bar.value = total ? done / total : 0; });
      q.state = "sent";
      q.bar.value = 1;
      q.status.textContent = "Sent";
      q.li.classList.add("sent");
      sent++;
      info.drop.files = (info.drop.files || 0) + 1;
      info.drop.bytes = (info.drop.bytes || 0) + q.file.size;
    } catch (err) {
      q.state = "failed";
      q.li.classList.add("failed");
      if (err.code === "integrity") {
        q.status.textContent = "Not sent";
        return fail({ code: "integrity", message: "" });
      }
      if (err.code === "gone") return fail(err);
      q.status.textContent = "Not sent: " + (err.code === "too_large" ? "larger than this link allows" : explain(err)[1]);
    }
  }
  say($("#drop-msg"), sent ? `${sent} ${sent === 1 ? "file was" : "files were"} sent, encrypted for the link's owner.` : "");
  document.body.dataset.state = "sent";
  showLimits();
}

async function start() {
  if (link.kind !== "d" || !link.hasKey) return fail({ code: "no_key" });
  const started = LinkWorker.start();
  try {
    const res = await fetch("/v1/links/" + link.id, { credentials: "omit" });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const e = body.error || {};
      return fail({ code: res.status === 410 ? "gone" : res.status === 404 ? "not_found" : e.code, reason: e.reason, message: e.message });
    }
    info = body;
    if (info.kind !== "drop" || !info.drop) return fail({ code: "not_found" });
    worker = await started;
  } catch (err) {
    return fail(err.code ? err : { code: "network" });
  }
  showLimits();
  document.body.dataset.state = "drop";
  show("drop");
}

$("#pick").addEventListener("change", (e) => { add(e.target.files); e.target.value = ""; });
$("#send").addEventListener("click", sendAll);
const zone = $("#zone");
zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
zone.addEventListener("dragleave", () => zone.classList.remove("over"));
zone.addEventListener("drop", (e) => {
  e.preventDefault();
  zone.classList.remove("over");
  add([...e.dataTransfer.files]);
});

start();
