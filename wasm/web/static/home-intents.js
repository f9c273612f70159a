// Home's part in intents (spec/apps.md §5): it shows what an app asks
// another to do and passes it on only on the person's click, then brings
// the answer back to the app that asked. home is what intent uses of
// home.js: { h, say, view, signedIn }.
import { $, el, show } from "./hearth-kit.js";
import { fromApp, originOf, showOrigin } from "./home-apps.js";

const INTENT_TICKET = "hearth:intent-ticket";

// intent shows what an app asks another to do, and passes it on only on the
// person's click.
export async function intent(home) {
  const { h, say, view } = home;
  const p = new URLSearchParams(location.hash.slice("#intent?".length));
  history.replaceState(null, "", location.pathname);
  const req = { from: p.get("from") || "", user: p.get("user") || "", action: p.get("action") || "", doctype: p.get("doctype") || "" };
  const value = p.get("value") || "";
  const state = p.get("state") || "";
  const msg = $("#intent-msg");
  show(msg, "");
  $("#intent-allow").hidden = true;
  $("#intent-handlers").hidden = true;
  view("intent");
  let offer;
  try {
    // spec/apps.md §5: a value of at most 4 KiB, a nonce for state.
    if (value.length > 5462 || state.length > 100 || !/^[A-Za-z0-9_-]*$/.test(value)) {
      throw Object.assign(new Error("This request is malformed; it was not passed on."), { code: "bad_input" });
    }
    offer = await h.intentOffer(req);
  } catch (err) {
    show(msg, say(err));
    $("#intent-deny").onclick = () => { view("dashboard"); home.signedIn(); };
    return;
  }
  const back = (q) => location.replace(offer.fromUrl + "#intent-result?state=" + encodeURIComponent(state) + q);
  // Only the app's own page is named as the one asking (its referrer);
  // every app is named with its origin.
  const fromOrigin = offer.from + " (" + originOf(offer.fromUrl) + ")";
  const asker = fromApp(offer.fromUrl) ? fromOrigin : "A page claiming to be " + fromOrigin;
  let shown = "";
  try {
    const bin = atob(value.replace(/-/g, "+").replace(/_/g, "/"));
    const v = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
    shown = typeof v === "string" ? v : v && typeof v === "object" && typeof v.title === "string" ? v.title : JSON.stringify(v);
  } catch { /* no value, or not JSON */ }
  if (shown.length > 200) shown = shown.slice(0, 199) + "…";
  $("#intent-value").textContent = shown;
  $("#intent-value").hidden = !shown;
  $("#intent-deny").onclick = () => back("&cancelled=1");
  if (offer.handlers.length === 0) {
    $("#intent-title").textContent = "No app can do this yet";
    $("#intent-lead").textContent = asker + " asks to " + offer.what + ", but none of your apps does that. The app store may have one.";
    return;
  }
  const first = offer.handlers[0];
  $("#intent-title").textContent = first.title + "?";
  const todo = offer.handlers.length === 1 ? first.title.charAt(0).toLowerCase() + first.title.slice(1) : offer.what;
  $("#intent-lead").textContent = asker + " asks " + (offer.handlers.length === 1 ? first.name + " (" + originOf(first.url) + ")" : "one of your apps") + " to " + todo + ":";
  if (offer.handlers.length > 1) {
    $("#intent-handlers").replaceChildren(el("legend", { className: "small", textContent: "With" }), ...offer.handlers.map((hd, i) =>
      el("label", { className: "row" }, el("input", { type: "radio", name: "handler", value: String(i), checked: i === 0 }), hd.name,
        showOrigin(el("span", { className: "muted small origin" }), hd.url))));
    $("#intent-handlers").hidden = false;
  }
  $("#intent-allow").hidden = false;
  $("#intent-allow").onclick = () => {
    const picked = document.querySelector("#intent-handlers input:checked");
    const hd = offer.handlers[picked ? Number(picked.value) : 0];
    const ticket = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    sessionStorage.setItem(INTENT_TICKET, JSON.stringify({ ticket, fromUrl: offer.fromUrl, state, doctype: req.doctype }));
    const q = new URLSearchParams({ action: req.action, doctype: req.doctype, value, from: offer.from, ticket });
    location.assign(hd.url + "#intent?" + q.toString());
  };
}

// intentDone: the serving app is done; back to the app that asked, if this
// tab passed the intent on (its ticket).
export function intentDone() {
  const p = new URLSearchParams(location.hash.slice("#intent-done?".length));
  history.replaceState(null, "", location.pathname);
  let t = null;
  try { t = JSON.parse(sessionStorage.getItem(INTENT_TICKET) || "null"); } catch { /* none */ }
  if (!t || !p.get("ticket") || p.get("ticket") !== t.ticket) {
    location.replace(location.pathname); // a link anyone made: nothing to answer
    return;
  }
  sessionStorage.removeItem(INTENT_TICKET);
  const q = p.get("cancelled") ? "&cancelled=1" : "&doctype=" + encodeURIComponent(t.doctype) + "&id=" + encodeURIComponent(p.get("id") || "");
  location.replace(t.fromUrl + "#intent-result?state=" + encodeURIComponent(t.state) + q);
}
