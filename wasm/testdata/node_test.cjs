// Loads hearth.wasm in Node and drives globalThis.hearthGo against a server
// (run by TestNode in node_test.go):
//   node node_test.cjs <wasm_exec.js> <hearth.wasm> <server URL> <hearth-password.wasm>
"use strict";
const fs = require("fs");
const [wasmExec, wasmPath, server, pwPath] = process.argv.slice(2);

// The client calls fetch directly (client/transport_js.go), as it does in
// a browser.
globalThis.require = require;
globalThis.fs = fs;
globalThis.path = require("path");
require(wasmExec);

function check(cond, what) {
  if (!cond) throw new Error("FAIL: " + what);
}

// The password estimator, loaded on first use as hearth-worker.js loads
// it: a second Go program that registers hearthZxcvbn.
let estimator = null;
globalThis.hearthPasswordEstimate = async (password, user) => {
  if (!estimator) {
    estimator = (async () => {
      const go = new globalThis.Go();
      const { instance } = await WebAssembly.instantiate(fs.readFileSync(pwPath), go.importObject);
      go.run(instance);
      return globalThis.hearthZxcvbn;
    })();
  }
  return (await estimator)(password, user);
};

async function main() {
  const go = new globalThis.Go();
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), go.importObject);
  const ready = new Promise((r) => { globalThis.hearthReady = r; });
  go.run(instance);
  await ready;

  const events = [];
  let wake = () => {};
  const api = globalThis.hearthGo.open({ server, device: "node", onEvent: (j, bytes) => { events.push({ ...JSON.parse(j), bytes }); wake(); } });
  const call = async (m, ...args) => JSON.parse(await api.call(m, JSON.stringify(args)));
  const waitEvent = (pred) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("FAIL: no event")), 20000);
    const look = () => { const e = events.find(pred); if (e) { clearTimeout(t); resolve(e); } };
    wake = look;
    look();
  });
  const code = async (p) => { try { await p; return "none"; } catch (e) { check(e instanceof Error, "rejects with an Error"); return e.code; } };

  const user = "node" + Date.now() % 1e6;
  check(await code(call("signup", user, "password123")) === "weak_password", "a weak password refused at sign-up");
  const weak = await call("checkPassword", user, "qwertyuiop");
  check(!weak.ok && weak.kind === "top100" && weak.reason.includes("100 most common"), "checkPassword says why");
  check((await call("checkPassword", user, "correct horse battery")).ok, "checkPassword passes a strong one");
  const su = await call("signup", user, "correct horse battery");
  check(su.user === user && su.recoveryKey.startsWith("HEARTH-"), "signup");
  check(events.some((e) => e.type === "state" && e.bytes instanceof Uint8Array && e.bytes.length > 100), "state event after signup");
  check(await call("user") === user, "user");

  await call("subscribe", 1, ["io.hearth.notes"]);
  const c = await call("create", "io.hearth.notes", { title: "hello from node", tags: ["a"] });
  check(c.rev === 1 && c.id.length > 10, "create");
  const ev = await waitEvent((e) => e.type === "change" && e.change.id === c.id);
  check(ev.sub === 1 && ev.change.value.title === "hello from node", "change event");
  const p = await call("put", "io.hearth.notes", c.id, { title: "edited" });
  check(p.rev === 2, "put");
  const d = await call("get", "io.hearth.notes", c.id);
  check(d.rev === 2 && d.value.title === "edited", "get");
  const list = await call("list", "io.hearth.notes");
  check(list.length === 1 && list[0].id === c.id && list[0].value.title === "edited", "list");
  check(await code(call("get", "io.hearth.notes", "nosuchdoc")) === "not_found", "not_found code");
  check(await code(call("create", "Bad Doctype", 1)) === "bad_input", "bad_input code");
  await call("delete", "io.hearth.notes", c.id);
  check((await call("list", "io.hearth.notes")).length === 0, "list after delete");

  // A file streamed from a Blob in pieces, and back only once verified.
  const data = new Uint8Array(2.5 * 1024 * 1024 + 3);
  for (let i = 0; i < data.length; i += 65536) require("crypto").getRandomValues(data.subarray(i, Math.min(i + 65536, data.length)));
  const blob = new Blob([data], { type: "application/x-test" });
  let lastUp = null;
  const up = JSON.parse(await api.upload(blob, "test.bin", (done, total) => { lastUp = [done, total]; }));
  check(up.id && lastUp && lastUp[0] === data.length && lastUp[1] === data.length, "upload with progress");
  let lastDown = null;
  const dl = await api.download(up.id, (done, total) => { lastDown = [done, total]; });
  const info = JSON.parse(dl.info);
  check(info.name === "test.bin" && info.type === "application/x-test" && info.size === data.length, "download info");
  check(dl.bytes.length === data.length && Buffer.compare(Buffer.from(dl.bytes), Buffer.from(data)) === 0, "download bytes");
  check(lastDown && lastDown[0] === data.length, "download progress");

  // Files and folders (spec/web.md §3.5): a folder, an upload into it
  // (twice: a version), rename, move, the trash, versions.
  const trips = await call("filesMkdir", "", "Trips");
  check(trips.id, "filesMkdir");
  check(await code(call("filesMkdir", "", "Trips")) === "exists", "a folder's name taken");
  const inF = JSON.parse(await api.upload(new Blob(["one"]), "a.txt", null, trips.id));
  const again = JSON.parse(await api.upload(new Blob(["two!"]), "a.txt", null, trips.id));
  check(inF.id && again.id === inF.id, "upload into a folder, and a new version");
  let tree = await call("filesTree");
  const item = (id) => tree.items.find((x) => x.id === id);
  check(item(trips.id).kind === "folder" && item(trips.id).length === 4 && item(inF.id).parent === trips.id &&
    item(inF.id).versions === 1 && tree.versionsKept === 10, "filesTree");
  check((await call("filesVersions", inF.id)).length === 1, "filesVersions");
  await call("filesRestoreVersion", inF.id, 0);
  await call("filesRename", inF.id, "b.txt");
  const sub = await call("filesMkdir", trips.id, "sub");
  check(await code(call("filesMove", [trips.id], sub.id)) === "bad_input", "a folder into itself");
  await call("filesMove", [inF.id], sub.id);
  await call("filesTrash", [trips.id]);
  tree = await call("filesTree");
  check(item(inF.id).inTrash && item(trips.id).trashed && item(inF.id).name === "b.txt" && item(inF.id).length === 3, "filesTrash");
  await call("filesRestore", [trips.id]);
  await call("filesTrash", [sub.id]);
  await call("filesEmptyTrash");
  tree = await call("filesTree");
  check(tree.items.length === 2 && !item(inF.id), "filesEmptyTrash");

  const en = await call("totpEnroll");
  check(en.uri.startsWith("otpauth://") && en.qr.startsWith("data:image/png;base64,"), "totpEnroll");
  const ss = await call("sessions");
  check(ss.length === 1 && ss[0].current && ss[0].device === "node", "sessions");

  const saved = events.filter((e) => e.type === "state").pop().bytes;
  await call("logout");
  check(events.some((e) => e.type === "wipe"), "wipe event at logout");
  check(await code(call("list", "io.hearth.notes")) === "session_ended", "session_ended after logout");
  check(JSON.parse(await api.resume(saved)).restored === true, "a state resumes (locally)");
  check(JSON.parse(await api.resume(new Uint8Array([1, 2, 3]))).restored === false, "a malformed state does not resume");
  check(await code(call("sessions")) === "session_ended", "a logged-out state does not work");
  check(await code(call("login", user, "wrong password", "")) === "bad_credentials", "bad_credentials");
  await call("login", user, "correct horse battery", "");
  check((await call("sessions")).length === 1, "login");
  console.log("PASS");
  process.exit(0);
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
