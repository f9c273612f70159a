// Downloads from the Files page, streamed to disk by the worker (never
// whole in memory, nothing released before all of it verified,
// hearth.js saveFile): a file, or a folder or a selection as one zip.
// The worker writes a temporary file of this origin's private file
// system; the page downloads its File (on disk) under the item's name,
// then has it deleted. Progress shows in #saving.
import { $, el } from "./hearth-kit.js";
import { bytes } from "./files-model.js";

// How long a finished download's temporary file stays, for the browser to
// copy it to the Downloads folder.
const KEEP_MS = 120e3;

/**
 * save downloads what: a file id, or { ids } of files and folders as one
 * zip, as name. say(words) announces.
 */
export async function save(app, what, name, say) {
  // Where the browser lets the person choose (the File System Access API)
  // and they asked to: the file goes straight there. The picker must open
  // first, while the click still counts as the person's.
  let handle = null;
  if (askWhere()) {
    try {
      handle = await showSaveFilePicker({ suggestedName: name });
    } catch (err) {
      if (err && err.name === "AbortError") return; // they closed the picker
      throw err;
    }
  }
  const job = new AbortController();
  const bar = el("progress", { max: 1, value: 0 });
  bar.setAttribute("aria-label", "Download of " + name);
  const line = el("span", { className: "small", textContent: "Preparing " + name + "…" });
  const stop = el("button", { type: "button", className: "secondary small-btn", textContent: "Cancel", onclick: () => job.abort() });
  const box = el("div", { className: "saving" }, el("span", { className: "saving-name", title: name, textContent: name }), bar, line, stop);
  $("#saving").append(box);
  $("#saving").hidden = false;
  const t0 = performance.now();
  const progress = (done, total) => {
    bar.max = Math.max(1, total);
    bar.value = done;
    const s = (performance.now() - t0) / 1000;
    line.textContent = bytes(done) + " of " + bytes(total) + (s > 0.3 ? " · " + bytes(Math.round(done / s)) + "/s" : "");
  };
  try {
    const spec = typeof what === "string" ? { id: what } : { ids: what.ids };
    if (handle) {
      await app.saveFile({ ...spec, handle }, progress, { signal: job.signal });
      say("Saved " + name);
      return;
    }
    const r = await app.saveFile(spec, progress, { signal: job.signal });
    const url = URL.createObjectURL(r.file);
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    say("Downloaded " + name);
    setTimeout(() => {
      URL.revokeObjectURL(url);
      app.saveDone(r.temp).catch(() => {});
    }, KEEP_MS);
  } finally {
    box.remove();
    $("#saving").hidden = !$("#saving").children.length;
  }
}

/** canAsk reports whether this browser lets a page write a file the person chooses. */
export const canAsk = () => typeof globalThis.showSaveFilePicker === "function";

/** askWhere reports whether downloads ask where to go (the person's choice, where the browser can). */
export const askWhere = () => canAsk() && localStorage.getItem("files:ask-where") === "1";
