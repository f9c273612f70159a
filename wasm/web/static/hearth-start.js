// hearth-start.js — what hearth.js needs to start the Hearth worker:
// fetching its script and checking it against the SHA-384 hearth.js
// carries, reading the page's metas, and the Error shape of a failure
// (spec/web.md §2, §3).
// An ES module beside hearth.js; apps import hearth.js, not this.

export function meta(name) {
  const m = typeof document !== "undefined" && document.querySelector(`meta[name="${name}"]`);
  return m ? m.getAttribute("content") : "";
}

export function b64(buf) {
  let s = "";
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s);
}

// startWorker fetches the worker script, checks it against its SHA-384 and
// starts it from a blob: URL of the checked bytes, so that the browser runs
// no other.
export async function startWorker(url, sri) {
  const want = String(sri || "").split(/\s+/).filter((t) => t.startsWith("sha384-")).map((t) => t.slice(7));
  if (want.length === 0) {
    throw toError({ code: "integrity", message: "no SHA-384 for the Hearth worker script (make web fills it in)" });
  }
  const res = await fetch(url, { credentials: "same-origin" }).catch((err) => {
    throw toError({ code: "network", message: "could not load the Hearth worker: " + err.message });
  });
  if (!res.ok) throw toError({ code: "network", message: "could not load the Hearth worker: HTTP " + res.status });
  const bytes = await res.arrayBuffer();
  if (!want.includes(b64(await crypto.subtle.digest("SHA-384", bytes)))) {
    throw toError({ code: "integrity", message: "the Hearth worker script does not match its SHA-384: not started" });
  }
  const blob = URL.createObjectURL(new Blob([bytes], { type: "text/javascript" }));
  try {
    return new Worker(blob);
  } finally {
    URL.revokeObjectURL(blob); // the worker has taken the bytes
  }
}

export function toError(e) {
  const err = new Error(e && e.message ? e.message : "Hearth failed");
  err.code = (e && e.code) || "internal";
  if (e && e.retryAfter) err.retryAfter = e.retryAfter;
  if (e && e.rev) err.rev = e.rev;
  for (const k of ["size", "limit", "left"]) if (e && typeof e[k] === "number") err[k] = e[k]; // too_large, account_full: bytes
  return err;
}
