// hearth-intent-url.js — what hearth.js puts in and reads from the
// addresses that carry intents between apps through Home (spec/apps.md §5).
// An ES module beside hearth.js; apps import hearth.js, not this.

// Intents (spec/apps.md §5): values travel in URL fragments as unpadded
// base64url of their JSON.
export function toB64url(value) {
  const bytes = new TextEncoder().encode(JSON.stringify(value ?? null));
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromB64url(s) {
  try {
    const bin = atob(String(s || "").replace(/-/g, "+").replace(/_/g, "/"));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch {
    return null;
  }
}

export function nonce() {
  const b = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_");
}

// navigateFrom goes to url telling it this origin (pages send no referrer
// otherwise): Home trusts a request from an app's own page a little more
// (spec/web.md §5).
export function navigateFrom(url) {
  const a = Object.assign(document.createElement("a"), { href: url, referrerPolicy: "strict-origin" });
  document.body.append(a);
  a.click();
  return new Promise(() => {});
}

export const INTENT_KEY = "hearth:intent";        // an intent to serve, kept across connecting (sessionStorage)
export const INTENT_STATES = "hearth:intent-states"; // intents this tab started
