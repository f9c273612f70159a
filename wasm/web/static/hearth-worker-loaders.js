// hearth-worker-loaders.js — part of hearth-worker.js (the build puts it in
// place of its importScripts line, under the worker's one hash): the helpers
// the worker loads when they are first needed, each checked against its
// SHA-384 before it runs.
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

// ---- the seal worker (hearth-seal.js, spec/web.md §3.7) ----
// Started, on pages with its metas, for the first large upload; the client
// library asks hearthSealReady() (false: it seals here) and hearthSeal(job)
// (a promise of the sealed or opened chunks, a Uint8Array:
// client/sealer_js.go, opener_js.go).
let sealFrom = null; // {url, sri, origin}
let sealer = null; // a promise of {worker, calls}
let sealedParts = 0; // requests the seal worker answered (the tests look)
function loadSealer() {
  if (!sealer) {
    sealer = (async () => {
      const bytes = await fetchChecked("hearth-seal.js", sealFrom.url, sealFrom.sri, sealFrom.origin);
      const worker = new Worker(URL.createObjectURL(new Blob([bytes], { type: "text/javascript" })), { name: "hearth-seal" });
      const calls = new Map();
      worker.onmessage = ({ data }) => { const c = calls.get(data.id); calls.delete(data.id); if (c) c(data); };
      worker.onerror = (e) => { for (const c of calls.values()) c({ error: "the seal worker failed: " + (e.message || "") }); calls.clear(); sealer = null; };
      return { worker, calls, next: 1 };
    })();
    sealer.catch(() => { sealer = null; });
  }
  return sealer;
}
self.hearthSealReady = async () => sealFrom !== null && !!(await loadSealer().catch(() => null));
self.hearthSeal = (job) => {
  const p = (async () => {
    const s = await loadSealer();
    const id = s.next++;
    // The key moves (transferred, not copied): the seal worker zeroes it
    // once used, and no copy stays here.
    const moved = [job.key.buffer].concat(job.data ? [job.data.buffer] : []);
    const ans = await new Promise((resolve) => { s.calls.set(id, resolve); s.worker.postMessage({ id, ...job }, moved); });
    if (ans.error) throw new Error(ans.error);
    sealedParts++;
    return new Uint8Array(ans.sealed || ans.plain);
  })();
  p.catch(() => {}); // the client library awaits it, maybe after it failed
  return p;
};
