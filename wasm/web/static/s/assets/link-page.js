// link-page.js — what the share and drop pages share (spec/web.md §7):
// starting the worker (its script checked against its SHA-384, the module
// against its own), calling it, reading the link from the address, and
// words for sizes and errors, and the views of a page: show, say, fail.

export const $ = (s) => document.querySelector(s);

// show shows the page's section of data-view view, and hides the others.
export function show(view) {
  for (const s of document.querySelectorAll("main > section")) s.hidden = s.dataset.view !== view;
}

// fail stops the page on err: its title and words (explain) in the error
// view, and body[data-state] "error-<reason or code>" for the tests.
export function fail(err) {
  const [title, text] = explain(err);
  $("#err-title").textContent = title;
  $("#err-text").textContent = text;
  document.title = title + " · Hearth";
  document.body.dataset.state = "error-" + ((err && (err.reason || err.code)) || "failed");
  show("error");
}

// say puts text in message el (hidden when text is empty), as an error or
// not.
export function say(el, text, error = false) {
  el.textContent = text;
  el.classList.toggle("error", error);
  el.hidden = !text;
}

export function meta(name) {
  const m = document.querySelector(`meta[name="${name}"]`);
  return m ? m.getAttribute("content") : "";
}

function b64(buf) {
  let s = "";
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s);
}

// The link as the address bar has it: kind ("s" or "d"), id, and whether
// the fragment holds a key. The page keeps the address as it is (a reload
// works); the fragment never goes into a request (spec/web.md §7.2). A
// new fragment (the whole link pasted into the tab of an incomplete one)
// changes no document, so the page starts again with it.
export function linkFromAddress() {
  addEventListener("hashchange", () => location.reload());
  const m = /^\/([sd])\/([a-z2-7]{26})$/.exec(location.pathname);
  const key = location.hash.slice(1);
  return { kind: m ? m[1] : "", id: m ? m[2] : "", hasKey: /^[A-Za-z0-9_-]{43}$/.test(key), url: location.href };
}

// A worker started from checked bytes, and calls to it.
export class LinkWorker {
  static async start() {
    const wasmURL = new URL(meta("hearth-link-wasm-url") || "/s/assets/hearthlink.wasm", location.href).href;
    const bytes = fetch(wasmURL, { credentials: "omit" }).then((r) => (r.ok ? r.arrayBuffer() : null), () => null);
    const want = meta("hearth-link-worker-sri").split(/\s+/).filter((t) => t.startsWith("sha384-")).map((t) => t.slice(7));
    if (want.length === 0) throw Object.assign(new Error("no SHA-384 for the page's worker"), { code: "integrity" });
    const res = await fetch(meta("hearth-link-worker-url") || "/s/assets/link-worker.js", { credentials: "omit" });
    if (!res.ok) throw Object.assign(new Error("could not load the page's worker: HTTP " + res.status), { code: "network" });
    const script = await res.arrayBuffer();
    if (!want.includes(b64(await crypto.subtle.digest("SHA-384", script)))) {
      throw Object.assign(new Error("the page's worker does not match its SHA-384"), { code: "integrity" });
    }
    const url = URL.createObjectURL(new Blob([script], { type: "text/javascript" }));
    const w = new LinkWorker(new Worker(url));
    URL.revokeObjectURL(url);
    const buf = await bytes;
    await w.call("init", [{ wasm: wasmURL, sri: meta("hearth-link-wasm-sri"), bytes: buf }], null, buf ? [buf] : []);
    return w;
  }

  constructor(worker) {
    this.w = worker;
    this.next = 1;
    this.pending = new Map();
    worker.onmessage = (e) => {
      const { id, result, error, progress } = e.data || {};
      const p = this.pending.get(id);
      if (!p) return;
      if (progress) { if (p.onProgress) p.onProgress(progress[0], progress[1]); return; }
      this.pending.delete(id);
      if (error) p.reject(Object.assign(new Error(error.message), error));
      else p.resolve(result);
    };
    worker.onerror = (e) => {
      for (const p of this.pending.values()) p.reject(Object.assign(new Error(e.message || "the page's worker failed"), { code: "failed" }));
      this.pending.clear();
    };
  }

  call(method, args, onProgress = null, transfer = []) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.w.postMessage({ id, method, args }, transfer);
    });
  }
}

// formatSize says a size in units of 1000, as the Files app does and as
// the CLI reads them: a drop link made with --max-size 200MB shows 200 MB.
export function formatSize(n) {
  n = Number(n) || 0;
  if (n < 1000) return n + (n === 1 ? " byte" : " bytes");
  const units = ["kB", "MB", "GB", "TB"];
  let u = -1;
  do { n /= 1000; u++; } while (n >= 999.5 && u < units.length - 1);
  return (n >= 100 ? n.toFixed(0) : n.toFixed(1)) + " " + units[u];
}

export function formatWait(s) {
  s = Math.max(1, Math.ceil(Number(s) || 1));
  if (s < 90) return s + (s === 1 ? " second" : " seconds");
  const m = Math.ceil(s / 60);
  return m + (m === 1 ? " minute" : " minutes");
}

// The words of a page that stops: a title and a sentence, by error.
export function explain(err) {
  switch (err && err.code) {
    case "gone":
      if (err.reason === "expired") return ["This link has expired", "Its owner set it to stop working after a while. Ask them for a new link."];
      if (err.reason === "revoked") return ["This link was turned off", "Its owner turned it off. Ask them for a new link if you still need it."];
      if (err.reason === "exhausted") return ["This link was used up", "It was opened (or given files) as many times as its owner allowed. Ask them for a new link."];
      return ["This link no longer works", "Ask its owner for a new link."];
    case "not_found":
      return ["There is no such link", "Check that you copied the whole link. If you did, its owner may have made a mistake."];
    case "integrity":
      return ["This link's content was altered", "What the server sent does not match what the owner shared: it was changed or swapped on the way or on the server. Nothing of it was shown or saved."];
    case "replayed":
      return ["This link's content was altered", "The server sent an older version of this folder than this browser already saw: an old listing was replayed. Nothing of it was shown."];
    case "no_key":
      return ["This link is incomplete", "The part after the # sign is missing or damaged, and the content cannot be opened without it. Copy the whole link again."];
    case "network":
      return ["The server could not be reached", "Check your connection and reload the page."];
    case "rate_limited":
      return ["Too many attempts", "Try again in " + formatWait(err.retryAfter) + "."];
  }
  return ["Something went wrong", String((err && err.message) || err)];
}
