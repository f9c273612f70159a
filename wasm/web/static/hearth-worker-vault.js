// hearth-worker-vault.js — part of hearth-worker.js (the build puts it in
// place of its importScripts line, under the worker's one hash): opening
// the IndexedDB database "hearth" and its store "vault" (spec/web.md §4),
// repaired when it lacks the store, never waiting for ever on another
// tab, and a transaction on it.

// idb opens the vault's database, making its store when it is missing
// (a new database, or one of this name that other script of this origin
// made without it) through a version upgrade, never by deleting the
// database: a delete, like an upgrade, waits for every other connection to
// close, and one held open by another tab would make it wait for ever.
// Every connection this worker opens closes when another asks for a
// version change (another tab's upgrade, or Hearth.wipe's delete), so
// that this worker never blocks them; a connection held by other script
// may, and then idb gives up after BLOCKED_MS with a storage_blocked
// error, which the page can say, instead of hanging: the upgrade still
// waits, and completes when that connection closes (the next idb finds
// the store).
const BLOCKED_MS = 3000;
let repairing = null; // the upgrade under way, shared by the idb calls that wait for it

function openDB(version) {
  return new Promise((resolve, reject) => {
    const r = version ? indexedDB.open(DB, version) : indexedDB.open(DB);
    r.onupgradeneeded = () => {
      if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE);
    };
    r.onsuccess = () => {
      const db = r.result;
      db.onversionchange = () => db.close();
      resolve(db);
    };
    r.onerror = () => reject(r.error);
  });
}

const blocked = () => Object.assign(new Error("This browser's storage for this site is held open by another tab, so Hearth cannot keep anything here: close this site's other tabs, then reload."), { code: "storage_blocked" });

// within settles as p does, or rejects with storage_blocked after
// BLOCKED_MS; a database p opens after that is closed.
function within(p) {
  let late = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { late = true; reject(blocked()); }, BLOCKED_MS);
    p.then((v) => {
      clearTimeout(timer);
      if (!late) resolve(v);
      else if (v && typeof v.close === "function") v.close();
    }, (err) => { clearTimeout(timer); reject(err); });
  });
}

async function idb() {
  for (let attempt = 0; attempt < 4; attempt++) {
    const db = await within(openDB());
    if (db.objectStoreNames.contains(STORE)) return db;
    // A database of this name without its store: add it, one version up
    // (another tab may have done so first: a VersionError, and again).
    const v = db.version + 1;
    db.close();
    if (!repairing) {
      repairing = openDB(v).then((up) => up.close(), (err) => {
        if (!err || err.name !== "VersionError") throw err;
      }).finally(() => { repairing = null; });
    }
    await within(repairing);
  }
  throw Object.assign(new Error("this browser's storage for this site could not be opened"), { code: "internal" });
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
