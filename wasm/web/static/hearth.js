// hearth.js — the Hearth client for web pages (spec/web.md §3).
//
// An ES module. Hearth.open() starts a dedicated worker (hearth-worker.js,
// checked against its SHA-384 and started from a blob: URL) that runs the
// client library compiled to WebAssembly; every method posts a message to
// it and returns a promise. The handle's methods are the client's method
// table (wasm/methods.go; spec/web.md §3 documents them), whose names the
// worker gives when it starts: each passes its arguments as they are, but
// those this class defines itself because they do more (signup, login,
// recover, passkeySignIn, logout, subscribe, appOffer, vcardImport, search; and upload, download,
// resume and reseal, which the worker answers). Failures reject with an Error
// whose `code` is one of: integrity, bad_credentials, totp_required,
// totp_invalid, totp_replayed, not_found, rate_limited, session_ended,
// network, bad_input, forbidden, or another protocol error code (§9).
//
//   import { Hearth } from "/hearth.js";
//   const h = await Hearth.open({ server: location.origin });
//   if (!(await h.resume())) await h.login(user, password, "");

import { showHaltedNotice } from "./hearth-halted.js";
import { b64, meta, startWorker, toError } from "./hearth-start.js";
import { INTENT_KEY, INTENT_STATES, fromB64url, navigateFrom, nonce, toB64url } from "./hearth-intent-url.js";

// The worker's methods whose arguments hold Files, Blobs or bytes, which go
// by postMessage's structured clone rather than as JSON text.
const cloned = new Set(["init", "upload", "appOfferFiles", "saveFile"]);
/** @typedef {{ doctype: string, id: string, rev: number, seq?: number, deleted: boolean, value: any }} Change */

// The worker script (with Go's wasm_exec.js built in) and its SHA-384: the
// build fills both in, and this module's own integrity, given by the page,
// covers them (spec/web.md §2).
const WORKER_URL = /*@hearth-worker-url*/"/hearth-worker.js";
const WORKER_SRI = /*@hearth-worker-sri*/"";

export class Hearth {
  /**
   * Starts the worker and loads the WebAssembly client.
   * @param {{ server: string, wasm?: string, sri?: string, worker?: string, workerSri?: string, device?: string }} opts
   *   server: Home's origin (the API is under /v1); wasm: URL of hearth.wasm
   *   (default: <meta name="hearth-wasm-url"> or "/hearth.wasm"); sri: its
   *   SHA-384 as "sha384-…" (default: <meta name="hearth-wasm-sri">), which
   *   the worker checks before instantiating; worker: URL of
   *   hearth-worker.js and workerSri its SHA-384 (defaults: <meta
   *   name="hearth-worker-url">, <meta name="hearth-worker-sri">, else the
   *   values the build wrote here), checked before the worker starts;
   *   device: the session's device name. A script that does not match its
   *   hash rejects with code "integrity".
   * @returns {Promise<Hearth>}
   */
  static async open({ server, wasm, sri, worker, workerSri, device, readonly = false } = {}) {
    if (!server) throw toError({ code: "bad_input", message: "Hearth.open: give { server }" });
    const url = worker || meta("hearth-worker-url") || WORKER_URL;
    const wasmURL = new URL(wasm || meta("hearth-wasm-url") || "/hearth.wasm", location.href).href;
    // The page fetches hearth.wasm while the worker script is fetched,
    // checked and started, and hands the bytes over; the worker checks
    // them against their SHA-384 as it would its own download (and
    // downloads them itself if this failed).
    const bytes = fetch(wasmURL, { credentials: "omit" })
      .then((res) => (res.ok ? res.arrayBuffer() : null), () => null);
    const h = new Hearth(await startWorker(new URL(url, location.href).href,
      workerSri || (worker ? "" : meta("hearth-worker-sri") || WORKER_SRI)));
    const buf = await bytes;
    const started = await h._rpc("init", [{
      server,
      origin: location.origin,
      wasm: wasmURL,
      sri: sri || meta("hearth-wasm-sri"),
      // The password estimator (Home's pages have its metas): loaded by
      // the worker only when a password is chosen.
      passwordWasm: new URL(meta("hearth-password-wasm-url") || "/hearth-password.wasm", location.href).href,
      passwordSri: meta("hearth-password-wasm-sri"),
      // The seal worker (Files has its metas): started for large uploads.
      sealUrl: meta("hearth-seal-url") && new URL(meta("hearth-seal-url"), location.href).href,
      sealSri: meta("hearth-seal-sri"),
      device: device || "",
      bytes: buf,
      readonly,
    }], undefined, buf ? [buf] : []).catch((err) => { h.close(); throw err; });
    h._define(started.methods);
    return h;
  }

  /**
   * Home's search (spec/web.md §3.7): a second worker running
   * hearth-search.wasm (the client with bleve, <meta name="hearth-search-wasm-url">
   * and "-sri"), which resumes the session saved in this browser but never
   * stores, wipes or ends it. Resolves to null when no session is saved.
   * @param {{ server: string }} opts
   * @returns {Promise<Hearth|null>}
   */
  static async openSearch({ server } = {}) {
    const h = await Hearth.open({
      server,
      wasm: meta("hearth-search-wasm-url") || "/hearth-search.wasm",
      sri: meta("hearth-search-wasm-sri"),
      readonly: true,
    });
    if (!(await h.resume())) {
      h.close();
      return null;
    }
    return h;
  }

  /**
   * Searches every doctype of the account (only a handle from openSearch):
   * the first call opens the indexes (loads the stored ones, builds the
   * others), later ones bring them up to date first.
   * @param {string} query words, "phrases", prefix*, fuzzy~1, field:value, +required, -excluded
   * @param {{ limit?: number }} [opts] most hits per doctype (default 5)
   * @returns {Promise<{ groups: Array<{ doctype: string, app?: { slug: string, name: string, url: string }, total: number,
   *   hits: Array<{ id: string, title?: string, url?: string,
   *   snippet?: { field: string, parts: Array<{ text: string, mark?: boolean }>, cutStart?: boolean, cutEnd?: boolean } }> }>,
   *   rebuilt?: Array<{ doctype: string, reason: string }> }>}
   */
  search(query, opts = {}) {
    return this._rpc("search", [String(query), opts]);
  }

  /**
   * An app's page (spec/web.md §5), served at <slug>.<user>.<domain>: resumes
   * the app's saved grant, or finishes a connection (#connected?… in the
   * address, which is then removed), or starts one by navigating to Home
   * (and then never resolves). The handle has the document and file
   * methods, limited to the granted doctypes and verbs, plus `user` and
   * `home` (Home's URL).
   * While the app stopped saving (this.halted, spec/web.md §5.1), a notice
   * at the top of the page says so and leads to Home, unless haltedNotice
   * is false; a halted app asks Home at load whether the person decided.
   * @param {{ slug: string, home?: string, wasm?: string, sri?: string, worker?: string, workerSri?: string, haltedNotice?: boolean }} opts
   * @returns {Promise<Hearth>}
   */
  static async openApp({ slug, home, wasm, sri, worker, workerSri, haltedNotice = true } = {}) {
    const labels = location.hostname.split(".");
    if (!slug || labels.length < 3 || labels[0] !== slug) {
      throw toError({ code: "bad_input", message: "openApp: this page is not at " + slug + ".<user>.<domain>" });
    }
    const user = labels[1];
    // Home is at home.<domain>, this app at <slug>.<user>.<domain> (spec/web.md §1).
    home = home || location.protocol + "//home." + labels.slice(2).join(".") + (location.port ? ":" + location.port : "");
    // Home signing out (spec/web.md §4): wipe this origin's storage, then
    // back to Home, which goes on with the next app. No worker is started.
    if (location.hash.startsWith("#signout")) {
      const n = new URLSearchParams(location.hash.slice("#signout?".length)).get("n") || "";
      history.replaceState(null, "", location.pathname + location.search);
      await Hearth.wipe();
      location.replace(home + "/#signout?n=" + encodeURIComponent(n));
      return new Promise(() => {});
    }
    // Intents (spec/apps.md §5): one to serve is kept in the tab (it must
    // survive connecting through Home); an answer to one this tab asked for
    // is checked against the nonce it kept.
    let intentResult = null;
    if (location.hash.startsWith("#intent?")) {
      sessionStorage.setItem(INTENT_KEY, location.hash.slice("#intent?".length));
      history.replaceState(null, "", location.pathname + location.search);
    } else if (location.hash.startsWith("#intent-result?")) {
      const p = new URLSearchParams(location.hash.slice("#intent-result?".length));
      history.replaceState(null, "", location.pathname + location.search);
      const states = JSON.parse(sessionStorage.getItem(INTENT_STATES) || "[]");
      const st = p.get("state") || "";
      if (st && states.includes(st)) {
        sessionStorage.setItem(INTENT_STATES, JSON.stringify(states.filter((x) => x !== st)));
        intentResult = p.get("cancelled") ? { cancelled: true } : { doctype: p.get("doctype") || "", id: p.get("id") || "" };
      }
    }
    // Take what Home sent out of the address bar at once, whatever follows.
    let connected = null;
    if (location.hash.startsWith("#connected?")) {
      connected = new URLSearchParams(location.hash.slice("#connected?".length));
      history.replaceState(null, "", location.pathname + location.search);
    }
    const h = await Hearth.open({ server: home, wasm, sri, worker, workerSri });
    h.home = home;
    h._app = { slug, user };
    h._haltedNotice = haltedNotice !== false;
    await h.resume(); // restores the grant, or the connection under way
    if (connected) {
      // A box, or Home's answer that it stopped saving too (halted=1).
      const r = await h._rpc("appConnectFinish", [connected.get("box") || "", connected.get("state") || ""]);
      h.user = r.user || null;
      h.halted = r.halted || "";
    } else if (h.halted) {
      // Stopped saving: ask Home whether the person decided since (§5.1).
      return h.reconnect();
    }
    if (!h.user && h.halted) {
      h._showHalted(); // nothing to read until the person decides, in Home
      return new Promise(() => {});
    }
    if (!h.user) return h.reconnect();
    if (h.halted) h._showHalted();
    h.intentResult = intentResult;
    const pending = sessionStorage.getItem(INTENT_KEY);
    if (pending !== null) {
      sessionStorage.removeItem(INTENT_KEY);
      const p = new URLSearchParams(pending);
      const ticket = p.get("ticket") || "";
      const answer = (q) => navigateFrom(home + "/#intent-done?ticket=" + encodeURIComponent(ticket) + q);
      h.intent = {
        action: p.get("action") || "", doctype: p.get("doctype") || "", from: p.get("from") || "",
        value: fromB64url(p.get("value")),
        /** The intent is served: back, through Home, to the app that asked. */
        done: (id) => answer("&id=" + encodeURIComponent(String(id ?? ""))),
        /** The person gave up: back, through Home, saying so. */
        cancel: () => answer("&cancelled=1"),
      };
    }
    return h;
  }

  /**
   * An app whose access ended (onsessionended): connects it again, by
   * navigating to Home (spec/web.md §5), in this page and worker. Never
   * resolves.
   * @returns {Promise<never>}
   */
  async reconnect() {
    if (!this._app) throw toError({ code: "bad_input", message: "reconnect: not an app (openApp)" });
    if (this._closed) { // signed out in another tab: its worker ended; start afresh
      location.reload();
      return new Promise(() => {});
    }
    const { url } = await this._rpc("appConnectStart", [this._app.slug, this._app.user, this.home]);
    // This one navigation tells Home the app's origin (pages send no
    // referrer otherwise): Home connects an app it remembers without asking
    // only when the request comes from that app (spec/web.md §5).
    return navigateFrom(url);
  }

  /**
   * An app: asks, through Home, an app that serves (action, doctype) to do
   * it (spec/apps.md §5), for example { action: "create", doctype:
   * "io.hearth.tasks", value: { title: "Call Lou" } }. The page navigates
   * away and never resolves; it comes back later with this.intentResult
   * set by openApp: { doctype, id } or { cancelled: true }.
   * @param {{ action: string, doctype: string, value?: any }} intent
   * @returns {Promise<never>}
   */
  startIntent({ action, doctype, value } = {}) {
    if (!this._app) throw toError({ code: "bad_input", message: "startIntent: not an app (openApp)" });
    const v = toB64url(value);
    if (v.length > 5462) throw toError({ code: "bad_input", message: "startIntent: the value is larger than 4 KiB" });
    const state = nonce();
    const states = JSON.parse(sessionStorage.getItem(INTENT_STATES) || "[]").slice(-9);
    sessionStorage.setItem(INTENT_STATES, JSON.stringify([...states, state]));
    const q = new URLSearchParams({ from: this._app.slug, user: this._app.user, action: String(action || ""),
      doctype: String(doctype || ""), value: v, state });
    return navigateFrom(this.home + "/#intent?" + q.toString());
  }

  /** @private */
  constructor(worker) {
    /** The signed-in account's name, or null. */
    this.user = null;
    /** In an app (openApp): Home's URL. */
    this.home = null;
    /** @private In an app: { slug, user } of its origin. */
    this._app = null;
    /** In an app: the intent to serve, or null (spec/apps.md §5): { action, doctype, value, from, done(id), cancel() }. */
    this.intent = null;
    /** In an app: the answer to the intent this tab asked for, or null: { doctype, id } or { cancelled: true }. */
    this.intentResult = null;
    /** @private The worker ended (a sign-out in another tab). */
    this._closed = false;
    /** @private */ this._w = worker;
    /** @private */ this._n = 0;
    /** @private */ this._calls = new Map();
    /** @private */ this._subs = new Map();
    /** Called (with no argument) when the server ended the session. */
    this.onsessionended = null;
    /** "" or why this browser stopped saving to the account (spec/web.md §5.1). */
    this.halted = "";
    /** After resume: this browser remembers an account (Home opens on "Sign in", not "Create account"). */
    this.known = false;
    /** Called with this.halted when it stops while the page is open. */
    this.onhalted = null;
    /** Called with { doctype, id, state, rev?, copy?, error? } as a write kept by put's keep goes (spec/web.md §3). */
    this.onoutbox = null;
    /** @private */ this._haltedNotice = false;
    worker.onmessage = (e) => this._message(e.data);
    worker.onerror = (e) => {
      for (const c of this._calls.values()) c.reject(toError({ code: "internal", message: "the Hearth worker failed: " + (e.message || "") }));
      this._calls.clear();
    };
  }

  /** @private */
  _message(m) {
    if (m.event) {
      if (m.event === "session_ended") {
        this.user = null;
        if (m.closed) this._closed = true;
        if (typeof this.onsessionended === "function") this.onsessionended();
        return;
      }
      if (m.event === "outbox") { // a kept write (spec/web.md §3: put's keep)
        if (typeof this.onoutbox === "function") this.onoutbox(JSON.parse(m.json).outbox);
        return;
      }
      if (m.event === "halted") {
        this.halted = m.why || "stopped";
        this._showHalted();
        if (typeof this.onhalted === "function") this.onhalted(this.halted);
        return;
      }
      const s = this._subs.get(m.sub);
      if (!s) return;
      if (m.event === "change") s.cb(m.json !== undefined ? JSON.parse(m.json).change : m.change);
      else if (m.event === "error" && s.onError) s.onError(toError(m.error));
      return;
    }
    const c = this._calls.get(m.id);
    if (!c) return;
    if (m.progress) {
      if (c.progress) c.progress(...m.progress);
      return;
    }
    this._calls.delete(m.id);
    if (m.error) {
      if (m.error.code === "session_ended") this.user = null;
      c.reject(toError(m.error));
    } else c.resolve(m.json !== undefined ? JSON.parse(m.json) : m.result);
  }

  /** @private */
  _rpc(method, args, progress, transfer = [], signal = null) {
    return new Promise((resolve, reject) => {
      const id = ++this._n;
      if (signal) {
        // Cancelling asks the worker to stop the call; it rejects then.
        if (signal.aborted) return reject(toError({ code: "cancelled", message: "cancelled" }));
        signal.addEventListener("abort", () => { if (this._calls.has(id)) this._rpc("cancel", [id]).catch(() => {}); }, { once: true });
      }
      // Arguments go as JSON text (values may nest deeper than postMessage
      // clones: see hearth-worker.js), but Files, Blobs and bytes.
      let msg = { id, method, args };
      if (!cloned.has(method)) {
        try {
          msg = { id, method, argsJSON: JSON.stringify(args) };
        } catch (err) {
          reject(toError({ code: "bad_input", message: "this value cannot be sent: " + ((err && err.message) || String(err)) }));
          return;
        }
      }
      this._calls.set(id, { resolve, reject, progress });
      this._w.postMessage(msg, transfer);
    });
  }

  /**
   * @private Gives this handle the client's methods (the worker's list:
   * [{name, noResult}]) that it has no method or member of the name of:
   * each passes its arguments as they are, and resolves to the result, or
   * to nothing when the method has none.
   */
  _define(methods) {
    for (const { name, noResult } of methods) {
      if (name in this) continue;
      this[name] = noResult ? async (...args) => { await this._rpc(name, args); } : (...args) => this._rpc(name, args);
    }
  }

  /**
   * @private An app: the notice that Hearth stopped saving in this browser
   * (spec/web.md §5.1, hearth-halted.js), unless openApp's haltedNotice is
   * false.
   */
  _showHalted() {
    if (!this._app || !this._haltedNotice || typeof document === "undefined" || !this.halted) return;
    showHaltedNotice(this.home, !!this.user);
  }

  /** Stops the worker. The object is not to be used after. */
  close() {
    this._w.terminate();
  }

  // ---- account ----

  /**
   * Restores the session saved in this browser, if any. Afterwards, known
   * says whether this browser remembers an account (a session, or what it
   * verified of one, kept across sign-outs).
   * @returns {Promise<boolean>} true if a saved session was restored
   */
  async resume() {
    const r = await this._rpc("resume", []);
    this.user = r.restored ? r.user : null;
    this.halted = r.halted || "";
    this.known = r.restored || r.known === true;
    return r.restored;
  }

  /**
   * Creates an account and signs in. invite is "" or the invitation code a
   * server whose sign-up needs one asks for.
   * @returns {Promise<{ recoveryKey: string }>} the recovery key, to show once
   */
  async signup(user, password, invite = "") {
    const r = await this._rpc("signup", [user, password, invite || ""]);
    this.user = r.user;
    return { recoveryKey: r.recoveryKey };
  }

  /**
   * Signs in. totp is "" or an authenticator code or a recovery code.
   * passwordChanged: the person says the password was changed on another
   * device (after a kdf_changed failure, spec/web.md §3). passkey: in place
   * of a code, a passkey's { ticket, credential } (Home only).
   * @returns {Promise<{ halted?: string }>}
   */
  async login(user, password, totp = "", { passwordChanged = false, passkey = null } = {}) {
    const opts = passwordChanged || passkey ? { totp: totp || "", passwordChanged, passkey } : totp || "";
    const r = await this._rpc("login", [user, password, opts]);
    this.user = r.user;
    return { halted: r.halted };
  }

  /**
   * Signs in with a passkey that unlocks the account (Home only): answer
   * is { ticket, credential, prf } from passkeySignInBegin and
   * navigator.credentials.get, prf the PRF output in base64.
   * @returns {Promise<{ user: string, halted?: string }>}
   */
  async passkeySignIn(answer) {
    const r = await this._rpc("passkeySignIn", [answer]);
    this.user = r.user;
    return { user: r.user, halted: r.halted };
  }

  /**
   * Replaces a forgotten password with the recovery key and signs in
   * (spec/web.md §3): every other session ends. totp is "" or, with
   * two-factor authentication on, a code or a TOTP recovery code.
   * @returns {Promise<{ recoveryKey: string, halted?: string }>} the NEW recovery key, to show once
   */
  async recover(user, recoveryKey, password, totp = "") {
    const r = await this._rpc("recover", [{ user, recoveryKey, password, totp: totp || "" }]);
    this.user = r.user;
    return { recoveryKey: r.recoveryKey, halted: r.halted };
  }

  /**
   * Ends the session and wipes the keys kept in this origin. Home gets the
   * URLs of the apps connected in this browser, whose storage to wipe next
   * (visit each with #signout, spec/web.md §4).
   * @returns {Promise<string[]>}
   */
  async logout() {
    try {
      const r = await this._rpc("logout", []);
      return (r && r.wipe) || [];
    } finally {
      this.user = null;
    }
  }

  /**
   * Wipes what Hearth keeps in this origin's storage (the sealed state and
   * its key), and tells the workers of this origin's other tabs to drop
   * their keys; it needs no worker. An app's page does it when Home sends
   * it #signout (spec/web.md §4).
   * @returns {Promise<void>}
   */
  static async wipe() {
    if (typeof BroadcastChannel === "function") {
      const bc = new BroadcastChannel("hearth-session");
      bc.postMessage({ wiped: true });
      bc.close();
    }
    await new Promise((resolve, reject) => {
      const r = indexedDB.deleteDatabase("hearth");
      r.onsuccess = () => resolve();
      // Another tab's connection holds it: the deletion happens once that
      // closes (its worker drops its keys on the message above).
      r.onblocked = () => setTimeout(resolve, 500);
      r.onerror = () => reject(toError({ code: "internal", message: "could not wipe this app's storage: " + (r.error && r.error.message) }));
    });
  }

  /**
   * Home: what installing an app would give it (spec/apps.md §3), from its
   * archive (a .zip File), its folder (the Files of an <input webkitdirectory>)
   * or its slug (a bundled app). Nothing is stored; installApp installs it.
   * @param {File | FileList | File[] | string} source
   * @returns {Promise<{ slug: string, name: string, version: string, description: string, url: string,
   *   permissions: { doctype: string, verbs: string[], what: string, reason: string, new?: boolean }[],
   *   update: boolean, from?: string, older?: boolean, added: { what: string }[], removed: { what: string }[],
   *   intents: string[] }>}
   */
  appOffer(source) {
    if (typeof source === "string") return this._rpc("appOffer", [source]);
    const files = source instanceof Blob ? [source] : Array.from(source || []);
    return this._rpc("appOfferFiles", [files]);
  }

  /**
   * Home: seals again with their new keys the documents of the doctypes
   * whose keys were rotated (spec/protocol.md §4.6), in the worker, while
   * the apps stay usable.
   * @param {(done: number, total: number, doctype: string, what: string) => void} [onProgress]
   *   what: the doctype in words ("your notes")
   * @returns {Promise<{ doctypes: string[], what: string[] }>}
   */
  reseal(onProgress) { return this._rpc("reseal", [], onProgress); }

  // ---- documents ----

  /**
   * Calls cb with every change of the given doctypes (a string, an array,
   * or [] for all), from this device's writes and, through the verified
   * changes feed, other devices'. Subscribe first, then list, and apply
   * changes by rev (a change may repeat what list returned).
   * @param {string|string[]} doctypes
   * @param {(change: Change) => void} cb
   * @param {(err: Error) => void} [onError] the subscription stopped (integrity, session_ended)
   * @returns {() => void} stop
   */
  subscribe(doctypes, cb, onError) {
    const sub = ++this._n;
    this._subs.set(sub, { cb, onError });
    const list = typeof doctypes === "string" ? [doctypes] : (doctypes || []);
    this._rpc("subscribe", [sub, list]).catch((err) => {
      this._subs.delete(sub);
      if (onError) onError(err);
      // An ended session is reported through onsessionended; say nothing.
      else if (err.code !== "session_ended") console.error("hearth: subscribe failed", err);
    });
    return () => {
      if (this._subs.delete(sub)) this._rpc("unsubscribe", [sub]).catch(() => {});
    };
  }

  // ---- contacts (spec/contacts.md) ----

  /**
   * Reads a vCard file (2.1, 3.0 or 4.0, any number of cards) into contacts,
   * the JSON of io.hearth.contacts documents. Stores nothing. Give the file
   * itself (or its bytes): older cards name other character sets.
   * @param {Blob | Uint8Array | string} file
   * @returns {Promise<{ contacts: object[], warnings: string[] }>}
   */
  async vcardImport(file) {
    const bytes = typeof file === "string" ? new TextEncoder().encode(file)
      : file instanceof Uint8Array ? file : new Uint8Array(await file.arrayBuffer());
    return this._rpc("vcardImport", [b64(bytes)]);
  }

  // ---- files ----

  /**
   * Seals and uploads a File or Blob, streamed from disk in pieces: a new
   * file at the root; with options.folder (a folder's id, "" the root),
   * into that folder, as a new version of a file of that name there
   * (version: true), unless that file holds these bytes already
   * (unchanged: true, and nothing was sent: protocol §6.3, its mac).
   * @param {Blob} file
   * @param {(done: number, total: number) => void} [onProgress]
   * @param {{ folder?: string, signal?: AbortSignal }} [options]  signal: cancels the upload
   * @returns {Promise<{ id: string, version?: boolean, unchanged?: boolean }>}
   */
  upload(file, onProgress, options) {
    const args = [file, file && file.name ? file.name : ""];
    if (options && typeof options.folder === "string") args.push(options.folder);
    return this._rpc("upload", args, onProgress, [], options && options.signal);
  }

  /**
   * Downloads a file; resolves only once all of it verified.
   * @param {string} id
   * @param {(done: number, total: number) => void} [onProgress]
   * @returns {Promise<{ id: string, name: string, type: string, size: number, modified?: string, blob: Blob }>}
   */
  download(id, onProgress) { return this._rpc("download", [id], onProgress); }

  /**
   * Streams a file ({ id }) or a zip of files and folders ({ ids }) to
   * disk, never whole in memory, and
   * resolves once all of it verified: into handle when given (a
   * FileSystemFileHandle from showSaveFilePicker), else into a temporary
   * file of this origin's private file system, resolved as a disk-backed
   * File to download, whose temp name goes to saveDone afterwards.
   * @param {{ id?: string, ids?: string[], handle?: FileSystemFileHandle }} what
   * @param {(done: number, total: number) => void} [onProgress]
   * @param {{ signal?: AbortSignal }} [opts]
   * @returns {Promise<{ file?: File, temp?: string, info: object | null }>}
   */
  saveFile(what, onProgress, { signal } = {}) { return this._rpc("saveFile", [what], onProgress, [], signal); }

  /** Deletes the temporary file of a saveFile once its File was downloaded. */
  saveDone(temp) { return this._rpc("saveDone", [temp]); }
}
