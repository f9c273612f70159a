// hearth-worker.js — the dedicated worker behind hearth.js (spec/web.md §3, §4).
//
// hearth.js starts it from a blob: URL of bytes it checked against their
// SHA-384; the build puts Go's wasm_exec.js at its head. It loads hearth.wasm
// (after checking the binary's SHA-384 against the value the page read from
// <meta name="hearth-wasm-sri">),
// runs the client library there, and answers the page's messages:
//
//   page → worker  {id, method, args} | {id, method, argsJSON}
//   worker → page  {id, result} | {id, json} | {id, error: {code, message, retryAfter?, rev?}}
//                  {id, progress: [done, total]}          (upload, download)
//                  {event: "change", sub, json}           (subscribe; json: the event, its change member)
//                  {event: "error", sub, error}           (a subscription stopped)
//                  {event: "session_ended", closed?}      (the session ended, keys wiped;
//                                                          closed: this worker ended too)
//                  {event: "halted", why}                 (this browser stopped saving, spec/web.md §5.1)
//                  {event: "outbox", json}                (a kept write: json, the event; its outbox member)
//
// The first message must be {id, method: "init", args: [{server, origin, wasm, sri, passwordWasm, passwordSri, device, bytes, readonly}]},
// answered with {methods: [{name, noResult?}]}, the client's methods the page's handle has
// (wasm/methods.go; noResult: it resolves to nothing)
// (origin: the page's, against which a relative wasm URL is resolved;
// bytes: hearth.wasm as the page fetched it, an ArrayBuffer, checked here
// like a download of the worker's own, which is made when bytes is null;
// readonly: a second worker of the page, such as Home's search worker,
// which resumes the saved session but never stores, wipes or signs out).
//
// Keys at rest (§4): IndexedDB database "hearth", object store "vault":
//   "key"   → a non-extractable AES-256-GCM CryptoKey
//   "state" → {iv: Uint8Array(12), data: ArrayBuffer}, the client state (its
//             saved form, wasm/saved.go) sealed with that key (additional
//             data "hearth-state-v1")
//   "seg:…" → sealed search-index segments, as downloaded (a cache)
//   "outkey", "outbox:…" → like "key" and "state", the writes kept until
//             the server answers (wasm/outbox.go), one record each,
//             additional data "hearth-outbox-v1\n" and the record's name
//   "memkey", "memory" → like "key" and "state", for what the browser
//             verified of the accounts' histories (Home: a State without
//             token, session or master key per account; an app: its
//             AppState without token or identity: the "memory" event),
//             additional data "hearth-memory-v1"
// Nothing goes to localStorage. Logout, or a session the server ended,
// deletes them all but the memory, which the next sign-in starts from
// (spec/protocol.md §4.7: a host must not make this browser a fresh device
// by ending its session), and, but at a logout, the kept writes, which the
// account's next session here sends.
"use strict";

// The build puts Go's wasm_exec.js here, in place of this line, so that the
// worker script's SHA-384 (which hearth.js checks) covers it (spec/web.md §2).
importScripts("/wasm_exec.js");

const DB = "hearth", STORE = "vault", AAD = new TextEncoder().encode("hearth-state-v1");
const MEM_AAD = new TextEncoder().encode("hearth-memory-v1");

let api = null;       // hearthGo.open(...) result
let loggingOut = false;
let readonly = false; // init's readonly: the session is the main worker's

// The workers of one origin (one per tab) hear of a sign-out in any of them:
// each drops its keys (by ending, once its page knows) and stores nothing.
// A sign-out is dated when its wipe starts (at): a worker that signed in
// after it, such as the one of the page that reloaded because of it, keeps
// its new session (the wipe finishes, and is told, after the reload).
let wiped = false;
let signedInAt = 0; // when this worker last signed in, up or back (resume)
const others = typeof BroadcastChannel === "function" ? new BroadcastChannel("hearth-session") : null;
const tellWiped = (at) => others && others.postMessage({ wiped: true, at });
if (others) {
  others.onmessage = (e) => {
    if (!e.data || e.data.wiped !== true || !api) return;
    if (typeof e.data.at === "number" && e.data.at < signedInAt) return; // an older sign-out
    wiped = true;
    pending = null;
    postMessage({ event: "session_ended", closed: true });
    self.close(); // the keys in this worker's memory go with it
  };
}

// ---- IndexedDB ----

function idb(again = true) {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => {
      const db = r.result;
      if (db.objectStoreNames.contains(STORE) || !again) return resolve(db);
      // A database of this name without its store (made by other script
      // of this origin): make it again.
      db.close();
      const d = indexedDB.deleteDatabase(DB);
      d.onsuccess = () => idb(false).then(resolve, reject);
      d.onerror = () => reject(d.error);
    };
    r.onerror = () => reject(r.error);
  });
}

async function tx(mode, fn) {
  const db = await idb();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const out = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(out && "result" in out ? out.result : undefined);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

const idbGet = (k) => tx("readonly", (s) => s.get(k));

async function stateKey(name = "key") {
  let key = await idbGet(name);
  if (key) return key;
  key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  // add, not put: of two tabs starting at once, the first key stays and the
  // second tab uses it.
  try {
    await tx("readwrite", (s) => { s.add(key, name); });
  } catch (err) {
    if (!err || err.name !== "ConstraintError") throw err;
    return idbGet(name);
  }
  return key;
}

async function storeState(bytes) {
  const key = await stateKey();
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: AAD }, key, bytes);
  await tx("readwrite", (s) => { s.put({ iv, data }, "state"); });
}

async function loadState() {
  const key = await idbGet("key");
  const rec = await idbGet("state");
  if (!key || !rec) return null;
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: rec.iv, additionalData: AAD }, key, rec.data));
  } catch {
    return null; // does not open: treat as nothing saved
  }
}

async function storeMemory(bytes) {
  const key = await stateKey("memkey");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: MEM_AAD }, key, bytes);
  await tx("readwrite", (s) => { s.put({ iv, data }, "memory"); });
}

async function loadMemory() {
  const key = await idbGet("memkey");
  const rec = await idbGet("memory");
  if (!key || !rec) return null;
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: rec.iv, additionalData: MEM_AAD }, key, rec.data));
  } catch {
    return null;
  }
}

// Everything in the vault goes but the memory: the session, its key, and
// the cached index segments; and the kept writes too at a logout (all).
const KEEP = new Set(["memkey", "memory"]);
const kept = (k, all) => KEEP.has(k) || !all && (k === "outkey" || String(k).startsWith(OUTBOX));
const wipeStore = (all) => tx("readwrite", (s) => {
  const r = s.openCursor();
  r.onsuccess = () => {
    const c = r.result;
    if (!c) return;
    if (!kept(c.key, all)) c.delete();
    c.continue();
  };
});

// ---- the outbox: writes kept until the server answers (wasm/outbox.go) ----
//
// "outbox:<name>" → {iv, data}: one kept write (its record: a note's text,
// say), sealed like the state but with a key of its own ("outkey"), which
// a session the server ended leaves in place: the account's next session
// here sends them. The client gives and takes the records' bytes; they
// never leave this worker but sealed.

const OUTBOX = "outbox:";
const outAAD = (k) => new TextEncoder().encode("hearth-outbox-v1\n" + k);
const outbox = {
  async load() {
    const key = await idbGet("outkey");
    if (!key) return [];
    const range = IDBKeyRange.bound(OUTBOX, OUTBOX + "\uffff");
    const [keys, recs] = await tx("readonly", (s) => {
      const ks = s.getAllKeys(range), vs = s.getAll(range);
      return { get result() { return [ks.result, vs.result]; } };
    });
    const out = [];
    for (let i = 0; i < keys.length; i++) {
      try {
        const rec = recs[i];
        out.push([String(keys[i]), new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: rec.iv, additionalData: outAAD(keys[i]) }, key, rec.data))]);
      } catch { /* does not open: left as it is */ }
    }
    return out;
  },
  async store(k, bytes) {
    if (wiped || readonly) throw new Error("this browser signed out");
    const key = await stateKey("outkey");
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: outAAD(k) }, key, bytes);
    await tx("readwrite", (s) => { s.put({ iv, data }, k); });
  },
  remove: (k) => tx("readwrite", (s) => { s.delete(k); }),
};

// ---- the cache of sealed index segments (search: wasm/search.go) ----
//
// "seg:<key>" → Uint8Array: sealed segments as downloaded, so that search
// does not download them again after a reload. Ciphertext, wiped with the
// session. Failures are misses.

const SEG = "seg:";

async function cacheGet(key) {
  try {
    const v = await idbGet(SEG + key);
    return v instanceof Uint8Array ? v : null;
  } catch {
    return null;
  }
}

async function cachePut(key, bytes) {
  if (wiped) return;
  try {
    await tx("readwrite", (s) => { s.put(bytes, SEG + key); });
  } catch { /* a cache */ }
}

async function cachePrune(prefix, keep) {
  const kept = new Set(Array.from(keep, (k) => SEG + prefix + k));
  try {
    await tx("readwrite", (s) => {
      const r = s.openCursor(IDBKeyRange.bound(SEG + prefix, SEG + prefix + "\uffff"));
      r.onsuccess = () => {
        const c = r.result;
        if (!c) return;
        if (!kept.has(c.key)) c.delete();
        c.continue();
      };
    });
  } catch { /* a cache */ }
}

// Saves and wipes run one after the other; of several states waiting, only
// the latest is written.
let queue = Promise.resolve(), pending = null, scheduled = false;

function saveState(bytes) {
  if (wiped || readonly) return; // another tab signed out: this one keeps nothing
  pending = bytes;
  if (scheduled) return;
  scheduled = true;
  queue = queue.then(async () => {
    scheduled = false;
    const t = pending;
    pending = null;
    if (t !== null) await storeState(t);
  }).catch((err) => console.error("hearth: saving the session failed", err));
}

function wipe(all) {
  pending = null;
  queue = queue.then(() => wipeStore(all)).catch((err) => console.error("hearth: wiping the session failed", err));
  return queue;
}

// ---- loading the WebAssembly client ----

function b64(buf) {
  let s = "";
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s);
}

async function init({ server, origin = "", wasm = "/hearth.wasm", sri = "", passwordWasm = "", passwordSri = "", device = "", bytes = null, readonly: ro = false }) {
  if (api) throw Object.assign(new Error("already started"), { code: "bad_input" });
  readonly = ro === true;
  if (typeof self.Go !== "function") {
    throw Object.assign(new Error("the worker script lacks wasm_exec.js (built in by make web)"), { code: "internal" });
  }
  estimatorFrom = { url: passwordWasm, sri: passwordSri, origin };
  bytes = await fetchChecked("hearth.wasm", wasm, sri, origin, bytes);
  const go = new self.Go();
  const { instance } = await WebAssembly.instantiate(bytes, go.importObject);
  const ready = new Promise((resolve) => { self.hearthReady = resolve; });
  go.run(instance).then(() => { api = null; }, (err) => { console.error("hearth: the client stopped", err); api = null; });
  await ready;
  api = self.hearthGo.open({ server, device: device || deviceName(), onEvent,
    cache: { get: cacheGet, put: cachePut, prune: cachePrune },
    outbox: readonly ? undefined : outbox });
  return { methods: JSON.parse(api.methods) };
}

// fetchChecked fetches url (relative to origin: started from a blob: URL,
// this worker has no base URL), unless the page handed over its bytes, and
// checks them against sri (<meta name="…-sri">) before they are used.
async function fetchChecked(name, url, sri, origin, bytes = null) {
  const want = String(sri).split(/\s+/).filter((t) => t.startsWith("sha384-")).map((t) => t.slice(7));
  if (want.length === 0) {
    throw Object.assign(new Error(`no SHA-384 for ${name} was given (<meta name="${name.replace(".", "-")}-sri">)`), { code: "integrity" });
  }
  try {
    url = new URL(url, origin || undefined).href;
  } catch {
    throw Object.assign(new Error(`bad ${name} URL: ` + url), { code: "bad_input" });
  }
  if (!(bytes instanceof ArrayBuffer)) { // the page did not fetch it
    const res = await fetch(url, { credentials: "omit" }).catch((err) => {
      throw Object.assign(new Error(`could not load ${name}: ` + err.message), { code: "network" });
    });
    if (!res.ok) throw Object.assign(new Error(`could not load ${name}: HTTP ` + res.status), { code: "network" });
    bytes = await res.arrayBuffer();
  }
  const got = b64(await crypto.subtle.digest("SHA-384", bytes));
  if (!want.includes(got)) {
    throw Object.assign(new Error(`${name} does not match its SHA-384: not loaded`), { code: "integrity" });
  }
  return bytes;
}

// ---- the password estimator (protocol §3.5) ----

// The client asks hearthPasswordEstimate(password, user) whenever a
// password is chosen (client/pwcheck_js.go); the first call loads
// hearth-password.wasm, a second Go program in this worker that registers
// hearthZxcvbn. zxcvbn's word lists are too large for hearth.wasm, which
// every app loads.
let estimatorFrom = { url: "", sri: "", origin: "" };
let estimator = null; // a promise of hearthZxcvbn

function loadEstimator() {
  if (!estimator) {
    estimator = (async () => {
      const bytes = await fetchChecked("hearth-password.wasm", estimatorFrom.url || "/hearth-password.wasm", estimatorFrom.sri, estimatorFrom.origin);
      const go = new self.Go();
      const { instance } = await WebAssembly.instantiate(bytes, go.importObject);
      go.run(instance).catch((err) => console.error("hearth: the password estimator stopped", err));
      if (typeof self.hearthZxcvbn !== "function") {
        throw Object.assign(new Error("hearth-password.wasm did not start"), { code: "internal" });
      }
      return self.hearthZxcvbn;
    })();
    estimator.catch(() => { estimator = null; }); // the next password tries again
  }
  return estimator;
}

self.hearthPasswordEstimate = async (password, user) => (await loadEstimator())(password, user);

function deviceName() {
  const ua = self.navigator ? navigator.userAgent : "";
  const b = /Firefox\//.test(ua) ? "Firefox" : /Edg\//.test(ua) ? "Edge" : /Chrom(e|ium)\//.test(ua) ? "Chromium" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  return os ? b + " on " + os : b;
}

// ---- events from the client ----

function onEvent(json, bytes) {
  const ev = JSON.parse(json);
  switch (ev.type) {
    case "state": // holds the master key: sealed here, never posted to the page
      saveState(bytes);
      break;
    case "wipe":
      if (!readonly) {
        const at = Date.now();
        wipe(loggingOut).then(() => tellWiped(at));
      }
      if (!loggingOut) postMessage({ event: "session_ended" });
      break;
    case "memory": // after the wipe (queued after it): kept across sessions
      if (!readonly) queue = queue.then(() => storeMemory(bytes)).catch((err) => console.error("hearth: keeping what this device verified failed", err));
      break;
    case "change":
      postMessage({ event: "change", sub: ev.sub, json }); // the page takes ev.change from it
      break;
    case "halted":
      postMessage({ event: "halted", why: (ev.error && ev.error.message) || "" });
      break;
    case "error":
      postMessage({ event: "error", sub: ev.sub, error: ev.error });
      break;
    case "outbox":
      postMessage({ event: "outbox", json }); // the page takes ev.outbox from it
      break;
  }
}

// ---- requests from the page ----

function need() {
  if (!api) throw Object.assign(new Error("Hearth is not started"), { code: "bad_input" });
  return api;
}

// Documents other clients wrote may nest deeper than the structured clone
// of postMessage goes (Chromium's fails at about two thousand levels in a
// worker), and one such document must not stop an app (spec/web.md §3):
// the client's methods take their arguments and give their results as
// JSON text, which goes between page and worker as it is (argsJSON,
// json) and is parsed at the other end (JSON.parse has no such limit).
class Raw {
  constructor(text) { this.text = text; }
}
const call = async (method, args) => new Raw(await need().call(method, typeof args === "string" ? args : JSON.stringify(args)));

// own are the methods the worker answers itself, with parsed arguments
// (they start the client, keep what it gives in the vault, carry bytes or
// report progress); the others' argsJSON goes to the client unparsed.
const own = {
  init: (id, args) => init(args[0] || {}),
  async resume() {
    need();
    const memory = await loadMemory();
    if (memory !== null) await call("remember", [b64(memory)]);
    const saved = await loadState();
    if (saved === null) return { restored: false, user: null };
    // Not restored may still hold an app's connection under way (§5).
    return JSON.parse(await need().resume(saved));
  },
  async logout() {
    if (readonly) throw Object.assign(new Error("sign out from the page's main Hearth"), { code: "bad_input" });
    loggingOut = true;
    const at = Date.now();
    try {
      return await call("logout", []);
    } finally {
      loggingOut = false;
      await wipe(true);
      tellWiped(at);
    }
  },
  async upload(id, args) {
    const [blob, name, folder] = args;
    const r = await need().upload(blob, name || "", (done, total) => postMessage({ id, progress: [done, total] }),
      typeof folder === "string" ? folder : undefined, id);
    return JSON.parse(r);
  },
  // cancel stops the upload or saveFile of the call numbered args[0].
  async cancel(id, args) {
    if (api && typeof args[0] === "number") api.cancel(args[0]);
    return null;
  },
  // saveFile streams a file ({id}) or a zip of files and folders ({ids}) to disk,
  // never whole in memory (spec/web.md §3): into handle when given (a
  // file the person chose, whose writes stay in a swap file until close,
  // so a failure aborts and leaves nothing), else into a temporary file
  // of this origin's private file system, whose File (disk-backed) the
  // page downloads and then deletes with saveDone. Nothing is handed over
  // before all of it verified.
  async saveFile(id, args) {
    const what = args[0] || {};
    const progress = (done, total) => postMessage({ id, progress: [done, total] });
    const run = async (sink) => {
      if (Array.isArray(what.ids)) {
        await need().zipTo(JSON.stringify(what.ids), sink, progress, id);
        return null;
      }
      return JSON.parse(await need().downloadTo(String(what.id ?? ""), sink, progress, id));
    };
    if (what.handle) {
      const w = await what.handle.createWritable();
      try {
        const info = await run({ write: (u8) => w.write(u8) });
        await w.close();
        return { info };
      } catch (err) {
        await w.abort().catch(() => {});
        throw err;
      }
    }
    const root = await navigator.storage.getDirectory();
    await sweepDownloads(root);
    const temp = DOWNLOAD_PREFIX + Date.now() + "-" + crypto.randomUUID();
    const fh = await root.getFileHandle(temp, { create: true });
    const h = await fh.createSyncAccessHandle();
    let at = 0;
    try {
      const info = await run({ write(u8) {
        const n = h.write(u8, { at });
        if (n !== u8.length) throw new Error("the disk took " + n + " of " + u8.length + " bytes");
        at += n;
      } });
      h.flush();
      h.close();
      return { file: await fh.getFile(), temp, info };
    } catch (err) {
      try { h.close(); } catch { /* closed */ }
      await root.removeEntry(temp).catch(() => {});
      throw err;
    }
  },
  // saveDone deletes a temporary file of saveFile once the page downloaded it.
  async saveDone(id, args) {
    const name = String(args[0] ?? "");
    if (!name.startsWith(DOWNLOAD_PREFIX)) return null;
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(name).catch(() => {});
    return null;
  },
  async appOfferFiles(id, args) {
    // An archive or a folder's files, read here and handed over whole.
    const files = await Promise.all((args[0] || []).map(async (f) =>
      [f.webkitRelativePath || f.name || "", new Uint8Array(await f.arrayBuffer())]));
    return JSON.parse(await need().appOffer(files));
  },
  async reseal(id) {
    return JSON.parse(await need().reseal((doctype, what, done, total) => postMessage({ id, progress: [done, total, doctype, what] })));
  },
  async download(id, args) {
    const r = await need().download(String(args[0] ?? ""), (done, total) => postMessage({ id, progress: [done, total] }));
    const info = JSON.parse(r.info);
    info.blob = new Blob([r.bytes], { type: info.type || "application/octet-stream" });
    return info;
  },
};

// Temporary files of downloads (saveFile) in the origin's private file
// system: "hearth-download-<ms>-<uuid>". One left behind (a tab closed
// before its download was handed over) is deleted at the next download
// after an hour.
const DOWNLOAD_PREFIX = "hearth-download-";
async function sweepDownloads(root) {
  for await (const name of root.keys()) {
    if (!name.startsWith(DOWNLOAD_PREFIX)) continue;
    const at = Number(name.slice(DOWNLOAD_PREFIX.length).split("-")[0]);
    if (Date.now() - at > 3600e3) await root.removeEntry(name).catch(() => {});
  }
}

// The methods after which this worker holds a session it did not hold
// before (signedInAt).
const signsIn = new Set(["signup", "login", "recover", "resume", "appConnectFinish"]);

async function handle(id, method, args, argsJSON) {
  if (Object.hasOwn(own, method)) return own[method](id, args);
  return call(method, typeof argsJSON === "string" ? argsJSON : args);
}

self.onmessage = async (e) => {
  const { id, method, args, argsJSON } = e.data || {};
  if (typeof id !== "number" || typeof method !== "string") return;
  try {
    let a = Array.isArray(args) ? args : [];
    if (typeof argsJSON === "string" && Object.hasOwn(own, method)) a = JSON.parse(argsJSON);
    const started = Date.now();
    const result = await handle(id, method, Array.isArray(a) ? a : [], argsJSON);
    if (signsIn.has(method)) signedInAt = started;
    // Answer only once the state this call produced is stored, so that a
    // page navigating away right after (to an app, on a reload) finds the
    // session when it comes back.
    await queue;
    if (result instanceof Raw) postMessage({ id, json: result.text });
    else postMessage({ id, result: result === undefined ? null : result });
  } catch (err) {
    // A failure too may have stored something (an ended session's wipe,
    // and the memory kept across it): the page may reload right after.
    await queue;
    const error = { code: (err && err.code) || "internal", message: (err && err.message) || String(err) };
    if (err && err.retryAfter) error.retryAfter = err.retryAfter;
    if (err && err.rev) error.rev = err.rev;
    postMessage({ id, error });
  }
};
