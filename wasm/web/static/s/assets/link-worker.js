// link-worker.js — the dedicated worker of the link pages (spec/web.md §7).
//
// link-page.js starts it from a blob: URL of bytes it checked against their
// SHA-384; the build puts Go's wasm_exec.js at its head. It loads
// hearthlink.wasm (checked against <meta name="hearth-link-wasm-sri">),
// which registers globalThis.hearthLink, and answers the page:
//
//   page → worker  {id, method, args}
//   worker → page  {id, result} | {id, error: {code, message, reason?, retryAfter?}}
//                  {id, progress: [done, total]}
//
//   init({wasm, sri, bytes})      loads the module
//   open(url, password, seen)     → {version, manifest}   (the link's URL with its fragment:
//                                   posted, never requested; seen: the highest version opened here)
//   save(paths, zip)              → {file, temp}   a file, or a zip of paths ([] for all),
//                                   written to a temporary file of the origin's private file
//                                   system and handed over (a disk-backed File) only once all
//                                   of it verified
//   saveDone(temp)                deletes that temporary file
//   drop(url, file)               encrypts one File to the link owner's key and uploads it
"use strict";

// The build puts Go's wasm_exec.js here, in place of this line.
importScripts("/wasm_exec.js");

function b64(buf) {
  let s = "";
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s);
}

async function loadModule({ wasm, sri, bytes }) {
  const want = String(sri || "").split(/\s+/).filter((t) => t.startsWith("sha384-")).map((t) => t.slice(7));
  if (want.length === 0) throw Object.assign(new Error("no SHA-384 for hearthlink.wasm (make web fills it in)"), { code: "integrity" });
  if (!(bytes instanceof ArrayBuffer)) {
    const res = await fetch(wasm, { credentials: "omit" }).catch((err) => {
      throw Object.assign(new Error("could not load the page's program: " + err.message), { code: "network" });
    });
    if (!res.ok) throw Object.assign(new Error("could not load the page's program: HTTP " + res.status), { code: "network" });
    bytes = await res.arrayBuffer();
  }
  if (!want.includes(b64(await crypto.subtle.digest("SHA-384", bytes)))) {
    throw Object.assign(new Error("hearthlink.wasm does not match its SHA-384: not loaded"), { code: "integrity" });
  }
  const go = new Go();
  const { instance } = await WebAssembly.instantiate(bytes, go.importObject);
  go.run(instance);
  if (!self.hearthLink) throw Object.assign(new Error("hearthlink.wasm did not start"), { code: "failed" });
}

// Temporary files of downloads: "hearth-link-<ms>-<uuid>"; one left behind
// (a tab closed before the download was handed over) goes at the next
// download after an hour.
const PREFIX = "hearth-link-";
async function sweep(root) {
  for await (const name of root.keys()) {
    if (!name.startsWith(PREFIX)) continue;
    const at = Number(name.slice(PREFIX.length).split("-")[0]);
    if (Date.now() - at > 3600e3) await root.removeEntry(name).catch(() => {});
  }
}

const methods = {
  init: (id, args) => loadModule(args[0] || {}).then(() => null),
  open: (id, [url, password, seen]) => self.hearthLink.open(String(url), String(password || ""), Number(seen) || 0),
  async save(id, [paths, zip]) {
    const root = await navigator.storage.getDirectory();
    await sweep(root);
    const temp = PREFIX + Date.now() + "-" + crypto.randomUUID();
    const fh = await root.getFileHandle(temp, { create: true });
    const h = await fh.createSyncAccessHandle();
    let at = 0;
    try {
      await self.hearthLink.save(paths || [], !!zip, (u8) => {
        const n = h.write(u8, { at });
        if (n !== u8.length) throw new Error("the disk took " + n + " of " + u8.length + " bytes");
        at += n;
      }, (done, total) => postMessage({ id, progress: [done, total] }));
      h.flush();
      h.close();
      return { file: await fh.getFile(), temp };
    } catch (err) {
      try { h.close(); } catch { /* closed */ }
      await root.removeEntry(temp).catch(() => {});
      throw err;
    }
  },
  async saveDone(id, [temp]) {
    if (typeof temp !== "string" || !temp.startsWith(PREFIX)) return null;
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(temp).catch(() => {});
    return null;
  },
  drop: (id, [url, file]) => self.hearthLink.drop(String(url), file, String(file.name || "file"),
    String(file.type || ""), Number(file.lastModified) || 0, (done, total) => postMessage({ id, progress: [done, total] })),
};

self.onmessage = async (e) => {
  const { id, method, args } = e.data || {};
  if (typeof id !== "number" || !Object.hasOwn(methods, method)) return;
  try {
    postMessage({ id, result: await methods[method](id, Array.isArray(args) ? args : []) });
  } catch (err) {
    const error = { code: (err && err.code) || "failed", message: String((err && err.message) || err) };
    if (err && err.reason) error.reason = String(err.reason);
    if (err && err.retryAfter) error.retryAfter = Number(err.retryAfter);
    postMessage({ id, error });
  }
};
