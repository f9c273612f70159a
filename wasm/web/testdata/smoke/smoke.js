// Test page script: check and instantiate hearth.wasm in a worker (as the
// real worker does) and call the API at Home's origin. The outcome goes to
// #status and to document.body.dataset.result; failures to console.error.
const meta = (n) => document.querySelector(`meta[name="${n}"]`).content;
const status = document.getElementById("status");

async function main() {
  // Home at home.localhost, an app at <app>.<user>.localhost.
  const home = location.hostname === "home.localhost" ? location.origin
    : `${location.protocol}//home.localhost${location.port ? ":" + location.port : ""}`;
  const worker = new Worker("/smoke-worker.js");
  const wasm = await new Promise((resolve, reject) => {
    worker.onmessage = (e) => (e.data.ok ? resolve(e.data) : reject(new Error(e.data.error)));
    worker.onerror = (e) => reject(new Error("worker: " + e.message));
    worker.postMessage({ url: meta("hearth-wasm-url"), sri: meta("hearth-wasm-sri") });
  });
  const res = await fetch(home + "/v1/prelogin", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user: "alice" }),
  });
  if (!res.ok) throw new Error("prelogin: HTTP " + res.status);
  await res.json();
  const result = `wasm ${wasm.exports} exports; api ${res.status}`;
  status.textContent = result;
  document.body.dataset.result = result;
}

main().catch((err) => {
  status.textContent = "failed: " + err.message;
  document.body.dataset.result = "failed: " + err.message;
  console.error(err);
});
