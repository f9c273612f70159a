// Uploading into the Files page: from the pickers (files, or a folder:
// webkitdirectory) and from files and whole folders dropped on the page
// (DataTransferItem.webkitGetAsEntry, read recursively), the folders made
// as they come; a queue that shows each file's progress and speed, lets
// one cancel, and says what failed in words. One file at a time: the
// worker seals on one core.
import { $, el } from "./hearth-kit.js";
import { bytes, cleanName } from "./files-model.js";

/**
 * Queue uploads files. how: { put(file, name, parent, onProgress, signal)
 * → Promise (the upload), folder(base, dirs) → Promise<folder id> (made
 * when missing), say(err) → words, changed() (the queue moved on) }.
 */
export class Queue {
  constructor(how) {
    this.how = how;
    this.items = [];
    this.running = false;
    $("#queue-clear").addEventListener("click", () => {
      this.items = this.items.filter((it) => it.state === "waiting" || it.state === "sending");
      this.draw();
    });
    $("#queue-fold").addEventListener("click", (e) => this.fold(e.currentTarget.getAttribute("aria-expanded") === "true"));
  }

  /** fold folds the list to the summary line (true), or unfolds it. */
  fold(folded) {
    $("#queue-fold").setAttribute("aria-expanded", String(!folded));
    $("#queue-fold").textContent = folded ? "Show" : "Hide";
    $("#queue-list").hidden = folded;
  }

  /**
   * add queues what was picked or dropped into the folder base:
   * [{file, dir: [folder names]} | {folder: true, dir}], dir relative to base.
   */
  add(base, entries) {
    for (const e of entries) {
      const dir = e.dir.map(cleanName).filter(Boolean);
      if (e.folder) {
        // An empty folder, made in its turn.
        this.items.push({ base, dir, folder: true, name: dir[dir.length - 1] || "", state: "waiting", done: 0, total: 0 });
        continue;
      }
      this.items.push({ base, dir, file: e.file, name: cleanName(e.file.name) || "file", state: "waiting", done: 0, total: e.file.size });
    }
    $("#queue").hidden = false;
    this.fold(false); // what was just added shows
    this.draw();
    this.run();
  }

  async run() {
    if (this.running) return;
    this.running = true;
    try {
      for (let it; (it = this.items.find((x) => x.state === "waiting"));) await this.one(it);
    } finally {
      this.running = false;
      this.draw();
    }
  }

  async one(it) {
    it.state = "sending";
    it.started = performance.now();
    it.abort = new AbortController();
    this.draw();
    try {
      const parent = await this.how.folder(it.base, it.dir);
      if (!it.folder) {
        const r = await this.how.put(it.file, it.name, parent, (done, total) => {
          it.done = done;
          it.total = total;
          const s = (performance.now() - it.started) / 1000;
          it.speed = s > 0.2 ? done / s : 0;
          this.drawOne(it);
        }, it.abort.signal);
        it.unchanged = !!(r && r.unchanged); // the file there held these bytes already: nothing sent
      }
      if (it.state === "sending") it.state = "done";
      it.done = it.total;
    } catch (err) {
      if (it.state !== "cancelled") {
        it.state = "failed";
        it.error = limitWords(err, it.name) || this.how.say(err);
        this.fold(false); // a failure is read, not folded away
      }
    }
    this.draw();
    this.how.changed();
  }

  cancel(it) {
    if (it.state === "waiting" || it.state === "sending") {
      if (it.state === "sending") it.abort.abort();
      it.state = "cancelled";
      this.draw();
    }
  }

  draw() {
    const waiting = this.items.filter((x) => x.state === "waiting" || x.state === "sending").length;
    const failed = this.items.filter((x) => x.state === "failed").length;
    const done = this.items.filter((x) => x.state === "done").length;
    $("#queue-title").textContent = waiting
      ? "Uploading " + (this.items.length - waiting + 1) + " of " + this.items.length
      : "Uploads: " + done + " done" + (failed ? ", " + failed + " failed" : "");
    this.sum();
    $("#queue").hidden = this.items.length === 0;
    $("#queue-list").replaceChildren(...this.items.map((it) => {
      it.li = el("li", { className: "upload " + it.state });
      this.fill(it);
      return it.li;
    }));
  }

  drawOne(it) {
    if (it.li) this.fill(it);
    this.sum();
  }

  // sum shows the bytes of all the files queued: sent of total, and the
  // speed of the one under way, beside the title (what shows when the
  // list is folded), and as the bar under it.
  sum() {
    let sent = 0, total = 0, speed = 0;
    for (const it of this.items) {
      if (it.folder || it.state === "cancelled" || it.state === "failed") continue;
      total += it.total;
      sent += it.state === "done" ? it.total : it.done;
      if (it.state === "sending") speed = it.speed || 0;
    }
    const running = this.items.some((x) => x.state === "waiting" || x.state === "sending");
    $("#queue-sum").textContent = total ? bytes(sent) + " of " + bytes(total) + (running && speed ? " · " + bytes(Math.round(speed)) + "/s" : "") : "";
    $("#queue-bar").max = Math.max(1, total);
    $("#queue-bar").value = sent;
  }

  fill(it) {
    const path = [...it.dir, ...(it.folder ? [] : [it.name])].join("/");
    const bar = el("progress", { max: Math.max(1, it.total), value: it.done });
    bar.setAttribute("aria-label", "Upload of " + path);
    const status = el("span", { className: "status small", textContent: statusOf(it) });
    const kids = [el("span", { className: "upload-name", title: path, textContent: path }), bar, status];
    if (it.state === "waiting" || it.state === "sending") {
      const c = el("button", { type: "button", className: "secondary small-btn", textContent: "Cancel", onclick: () => this.cancel(it) });
      c.setAttribute("aria-label", "Cancel the upload of " + path);
      kids.push(c);
    }
    it.li.className = "upload " + it.state;
    it.li.replaceChildren(...kids);
  }
}

function statusOf(it) {
  switch (it.state) {
    case "waiting": return it.folder ? "Folder, waiting" : "Waiting · " + bytes(it.total);
    case "sending":
      if (it.folder) return "Making the folder…";
      return bytes(it.done) + " of " + bytes(it.total) + (it.speed ? " · " + bytes(Math.round(it.speed)) + "/s" : "");
    case "done": return it.folder ? "Folder made" : it.unchanged ? "Unchanged · already there, nothing sent" : "Done · " + bytes(it.total);
    case "cancelled": return "Cancelled";
    default: return "Failed: " + it.error;
  }
}

/**
 * limitWords says, in this page's units, the limit an upload met, when
 * the worker gave its numbers (spec/web.md §3): a file the server does
 * not take (checked before anything is sent), or the room left in the
 * account; "" otherwise.
 */
function limitWords(err, name) {
  if (err && err.code === "too_large" && err.size > 0 && err.limit > 0) return name + " is " + bytes(err.size) + "; this server takes files up to " + bytes(err.limit) + ".";
  if (err && err.code === "account_full" && err.limit > 0 && typeof err.left === "number") {
    return "Not enough space: " + bytes(err.left) + " left of " + bytes(err.limit) + ". Delete something (empty the trash too), or ask the server's operator for more room.";
  }
  return "";
}

/** picked is what a file input holds: files, with their folders when picked as a folder. */
export function picked(input) {
  return [...input.files].map((f) => {
    const parts = (f.webkitRelativePath || f.name).split("/");
    return { file: f, dir: parts.slice(0, -1) };
  });
}

/**
 * dropped reads what was dropped: files, and folders read recursively
 * (empty ones too). The entries are taken at once: the DataTransfer
 * empties when the drop handler returns.
 */
export async function dropped(dt) {
  const entries = [...dt.items].filter((i) => i.kind === "file").map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
  const files = [...dt.files];
  const out = [];
  if (!entries.some(Boolean)) return files.map((f) => ({ file: f, dir: [] }));
  for (const e of entries) if (e) await walk(e, [], out);
  return out;
}

async function walk(entry, dir, out) {
  if (entry.isFile) {
    out.push({ file: await new Promise((resolve, reject) => entry.file(resolve, reject)), dir });
    return;
  }
  if (!entry.isDirectory) return;
  const here = [...dir, entry.name];
  out.push({ folder: true, dir: here });
  const reader = entry.createReader();
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const e of batch) await walk(e, here, out);
  }
}

// folderMaker finds or makes the folders uploads go into: ensure(base,
// dirs) is the folder at the path dirs below base, found (find(parent,
// name), a folder id or undefined) or made (mkdir(parent, name), its id)
// where missing, one at a time, so that two uploads into a new folder make
// it once; clear() forgets what it made (a new upload from the pickers).
export function folderMaker(find, mkdir) {
  const making = new Map();
  return {
    ensure(base, dirs) {
      let p = Promise.resolve(base);
      dirs.forEach((name, i) => {
        const key = base + "/" + dirs.slice(0, i + 1).join("/");
        const prev = p;
        if (!making.has(key)) {
          making.set(key, prev.then(async (parent) => (await find(parent, name)) || mkdir(parent, name))
            .catch((err) => { making.delete(key); throw err; }));
        }
        p = making.get(key);
      });
      return p;
    },
    clear() { making.clear(); },
  };
}
