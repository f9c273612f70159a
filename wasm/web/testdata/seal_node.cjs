// seal_node.cjs IN OUT: runs static/hearth-seal.js in Node as the seal
// worker, seals the blob IN describes (JSON: key, frame, padding, chunks,
// batch, content file) in requests of batch chunks, and writes the sealed
// chunks to OUT (TestSealWorkerMatchesGo); or, with mode "open", opens
// the sealed chunks of a blob (TestSealWorkerOpens).
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");
const [inPath, outPath] = process.argv.slice(2);
const job = JSON.parse(fs.readFileSync(inPath, "utf8"));
const b64 = (s) => new Uint8Array(Buffer.from(s, "base64"));
const answers = [];
const self = { crypto: globalThis.crypto, postMessage: (m) => answers.push(m) };
self.self = self;
const ctx = vm.createContext(Object.assign(self, { console, TextEncoder, TextDecoder, WebAssembly, setTimeout, clearTimeout, Blob, Uint8Array, DataView, Math, Promise, Error }));
vm.runInContext(fs.readFileSync(path.join(__dirname, "..", "static", "hearth-seal.js"), "utf8"), ctx, { filename: "hearth-seal.js" });
// open: job.payload (a file of sealed chunks) opened in requests of batch
// chunks; OUT gets the plaintext, or "integrity" if a chunk failed.
async function openAll() {
  const data = new Uint8Array(fs.readFileSync(job.payload));
  const full = 65536 + 16;
  const out = [];
  for (let first = 0, id = 1; first < job.chunks; first += job.batch, id++) {
    const part = data.slice(first * full, Math.min((first + job.batch) * full, data.length));
    await self.onmessage({ data: { id, op: "open", key: b64(job.key), data: part, first, chunks: job.chunks } });
    const a = answers.shift();
    if (a.error && a.error.startsWith("integrity:")) { fs.writeFileSync(outPath, "integrity"); return; }
    if (!a || a.id !== id || a.error) throw new Error("seal worker: " + JSON.stringify(a && a.error));
    out.push(Buffer.from(a.plain));
  }
  fs.writeFileSync(outPath, Buffer.concat(out));
}

(async () => {
  if (job.mode === "open") {
    await openAll();
    console.log("PASS");
    return;
  }
  const file = new Blob([fs.readFileSync(job.content)]);
  const size = file.size;
  const out = [];
  for (let first = 0, id = 1; first < job.chunks; first += job.batch, id++) {
    const count = Math.min(job.batch, job.chunks - first);
    await self.onmessage({ data: { id, op: "seal", key: b64(job.key), frame: b64(job.frame), file, size, padding: job.padding, first, count, chunks: job.chunks } });
    const a = answers.shift();
    if (!a || a.id !== id || a.error) throw new Error("seal worker: " + JSON.stringify(a && a.error));
    out.push(Buffer.from(a.sealed));
  }
  // a bad request is refused, not sealed
  await self.onmessage({ data: { id: 99, op: "seal", key: b64(job.key), frame: b64(job.frame), file, size, padding: job.padding, first: 0, count: 1, chunks: job.chunks + 1 } });
  if (!answers.shift().error) throw new Error("a request with a wrong chunk count was sealed");
  fs.writeFileSync(outPath, Buffer.concat(out));
  console.log("PASS");
})().catch((e) => { console.error(e); process.exit(1); });
