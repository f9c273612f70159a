// Home: sign-up and sign-in, two-factor authentication, installed apps,
// sessions, sign-out, and the consent step of connecting an app
// (spec/web.md §5). All cryptography happens in the worker behind hearth.js.
import { Hearth } from "./hearth.js";

const $ = (sel, root = document) => root.querySelector(sel);
const view = (id) => {
  for (const v of document.querySelectorAll("[data-view]")) v.hidden = v.dataset.view !== id;
};

// Messages for error codes, in words a person understands.
const words = {
  bad_credentials: "Wrong user name or password.",
  totp_required: "This account uses two-factor authentication: enter the code from your authenticator app.",
  totp_invalid: "That code is not right. Check your authenticator app and try again.",
  totp_replayed: "That code was already used. Wait for the next one.",
  rate_limited: "Too many attempts. Wait a little and try again.",
  user_exists: "That user name is taken.",
  invalid_name: "User names use lower-case letters, digits and dashes.",
  integrity: "Integrity check failed: the server returned data that was altered or replayed. Nothing of it was used.",
  network: "The server cannot be reached.",
  session_ended: "Your session ended. Sign in again.",
};
const say = (err) => {
  // A write refused because the account is full: the storage card says so too.
  if (err && err.code === "account_full" && h && h.user) renderAccount();
  return words[err && err.code] || (err && err.message) || String(err);
};

function show(el, text, kind = "error") {
  el.textContent = text;
  el.className = "message " + kind;
  el.hidden = !text;
}

async function busy(button, fn) {
  button.disabled = true;
  try { return await fn(); } finally { button.disabled = false; }
}

let h;
let signedOutNote = false; // arrived at the end of a sign-out

async function main() {
  // Apps live at <app>.<user>.<host>, which needs a name, not an address:
  // Home on a loopback address moves to localhost (same machine, same port).
  if (location.hostname === "127.0.0.1" || location.hostname === "[::1]") {
    location.replace(location.href.replace(location.hostname, "localhost"));
    return;
  }
  h = await Hearth.open({ server: location.origin });
  // Signed out in another tab, or the session was revoked or expired: start
  // again from the sign-in form.
  h.onsessionended = () => location.reload();
  bindForms();
  // A request arriving in this tab (a link followed while Home is open)
  // starts afresh, as it would in a new tab.
  addEventListener("hashchange", () => {
    if (/^#(connect|intent|intent-done|signout)\?/.test(location.hash)) location.reload();
  });
  const restored = await h.resume().catch(() => false);
  if (sessionStorage.getItem("hearth:signed-out")) {
    sessionStorage.removeItem("hearth:signed-out");
    signedOutNote = !restored;
  }
  if (location.hash.startsWith("#signout")) {
    // Signing out, back from an app's wipe: go on with the next one, if
    // this tab started the sign-out (its nonce); a link anyone made does
    // nothing.
    const n = new URLSearchParams(location.hash.slice("#signout?".length)).get("n") || "";
    history.replaceState(null, "", location.pathname);
    const st = signoutState();
    if (!restored && st && n && st.n === n) return wipeNext(st);
  }
  if (location.hash.startsWith("#intent-done?")) return intentDone();
  if (restored) await signedIn();
  else {
    view("signin");
    signupMode();
    if (location.hash.startsWith("#connect?")) {
      show($("#signin-msg"), "Sign in to connect " + appName() + ".", "ok");
    } else if (location.hash.startsWith("#intent?")) {
      show($("#signin-msg"), "Sign in to continue.", "ok");
    } else if (signedOutNote) {
      show($("#signin-msg"), "Signed out. This browser keeps no keys of your account.", "ok");
    }
    performance.mark("hearth:signin-ready"); // for the load benchmark
  }
}

function bindForms() {
  // Tabs between sign-in and sign-up.
  for (const tab of document.querySelectorAll("[data-tab]")) {
    tab.addEventListener("click", () => {
      for (const t of document.querySelectorAll("[data-tab]")) t.setAttribute("aria-selected", String(t.dataset.tab === tab.dataset.tab));
      view(tab.dataset.tab);
    });
  }

  $("#signin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target, msg = $("#signin-msg");
    show(msg, "");
    await busy(f.querySelector("button[type=submit]"), async () => {
      try {
        await h.login(f.user.value.trim(), f.password.value, f.totp.value.trim());
        f.reset();
        await signedIn();
      } catch (err) {
        show(msg, say(err));
        if (err.code === "totp_required" || err.code === "totp_invalid" || err.code === "totp_replayed") f.totp.focus();
      }
    });
  });

  $("#signup-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target, msg = $("#signup-msg");
    show(msg, "");
    if (f.password.value.length < 10) return show(msg, "Choose a password of at least 10 characters.");
    if (f.password.value !== f.password2.value) return show(msg, "The passwords differ.");
    await busy(f.querySelector("button[type=submit]"), async () => {
      try {
        const { recoveryKey } = await h.signup(f.user.value.trim(), f.password.value, f.invite.value.trim());
        f.reset();
        $("#recovery-key").textContent = recoveryKey;
        view("recovery");
      } catch (err) {
        if (err.code === "forbidden" && signupKind === "invite") {
          show(msg, "This invitation code does not work: it may be mistyped, used already or expired. Ask the server's operator for a new one.");
          f.invite.focus();
        } else if (err.code === "forbidden" && signupKind === "closed") {
          show(msg, closedWords);
        } else show(msg, say(err));
      }
    });
  });
  $("#recovery-done").addEventListener("click", () => signedIn());

  $("#signout").addEventListener("click", async () => {
    const user = h.user;
    const apps = await h.logout().catch(() => []);
    const n = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(12))));
    wipeNext({ n, apps: apps.filter((u) => appOrigin(u, user)) });
  });

  $("#totp-enable").addEventListener("click", (e) => busy(e.target, async () => {
    const msg = $("#totp-msg");
    show(msg, "");
    try {
      const { uri, qr } = await h.totpEnroll();
      $("#totp-qr").src = qr;
      $("#totp-uri").textContent = uri;
      $("#totp-enroll").hidden = false;
      $("#totp-enable").hidden = true;
      $("#totp-confirm-form").code.focus();
    } catch (err) {
      if (err.code === "exists") return totpState(true);
      show(msg, say(err));
    }
  }));
  $("#totp-confirm-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target, msg = $("#totp-msg");
    await busy(f.querySelector("button"), async () => {
      try {
        const { recoveryCodes } = await h.totpConfirm(f.code.value.trim());
        f.reset();
        const list = $("#totp-codes");
        list.replaceChildren(...recoveryCodes.map((c) => Object.assign(document.createElement("span"), { textContent: c })));
        $("#totp-enroll").hidden = true;
        $("#totp-recovery").hidden = false;
        show(msg, "Two-factor authentication is on.", "ok");
        totpState(true, true);
      } catch (err) {
        show(msg, say(err));
      }
    });
  });
  $("#totp-disable-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target, msg = $("#totp-msg");
    await busy(f.querySelector("button"), async () => {
      try {
        await h.totpDisable(f.code.value.trim());
        f.reset();
        show(msg, "Two-factor authentication is off.", "ok");
        totpState(false);
      } catch (err) {
        show(msg, say(err));
      }
    });
  });
}

// wipeNext goes on signing out (spec/web.md §4): each app connected in this
// browser (st.apps) is visited with #signout?n=<st.n>, wipes its storage
// and comes back here; the list and the nonce wait in this tab's
// sessionStorage. At the end, the sign-in form says so.
function wipeNext(st) {
  const [next, ...rest] = st.apps;
  if (!next) {
    // A fresh page, so that nothing of the account stays in this one's DOM.
    sessionStorage.removeItem("hearth:signout");
    sessionStorage.setItem("hearth:signed-out", "1");
    history.replaceState(null, "", location.pathname);
    location.reload();
    return;
  }
  sessionStorage.setItem("hearth:signout", JSON.stringify({ n: st.n, apps: rest }));
  location.replace(new URL("/", next).href + "#signout?n=" + encodeURIComponent(st.n));
}

function signoutState() {
  try {
    const st = JSON.parse(sessionStorage.getItem("hearth:signout") || "null");
    return st && typeof st.n === "string" && Array.isArray(st.apps) ? st : null;
  } catch {
    return null;
  }
}

// appOrigin accepts only an app of user at Home's own domain and port
// (http(s)://<app>.<user>.<this host>[:port]/).
function appOrigin(u, user) {
  try {
    const url = new URL(u);
    const labels = url.hostname.split(".");
    return url.protocol === location.protocol && url.port === location.port && labels.length >= 3 &&
      labels.slice(2).join(".") === location.hostname && /^[a-z0-9-]+$/.test(labels[0]) && labels[1] === user;
  } catch {
    return false;
  }
}

// totpState shows the TOTP card for an account with TOTP on or off.
function totpState(on, keepCodes = false) {
  $("#totp-status").textContent = on ? "On" : "Off";
  $("#totp-enable").hidden = on;
  $("#totp-enroll").hidden = true;
  $("#totp-disable-form").hidden = !on;
  if (!keepCodes) $("#totp-recovery").hidden = true;
}

async function signedIn() {
  $("#who").textContent = h.user;
  $("#signout").hidden = false;
  if (location.hash.startsWith("#connect?")) return connect();
  if (location.hash.startsWith("#intent?")) return intent();
  bindSearch();
  bindInstall();
  view("dashboard");
  performance.mark("hearth:dashboard");
  await Promise.all([renderApps(), renderSessions(), renderAccount(), renderConnections()]);
  runReseal(); // a rotation another device (or an earlier visit) left unfinished
}

// runReseal seals again, in the background, the documents of doctypes
// whose keys were rotated (an app uninstalled or disconnected), showing
// how far it got (spec/protocol.md §4.6).
let resealing = null;
let resealDone = ""; // what the last run that sealed anything said
function runReseal() {
  if (resealing) return resealing.then(() => runReseal());
  const box = $("#reseal"), text = $("#reseal-text"), bar = $("#reseal-bar");
  resealing = h.reseal((done, total, doctype, what) => {
    box.hidden = false;
    text.textContent = "Sealing " + what + " again with a new key: " + done.toLocaleString() + " of " + total.toLocaleString();
    bar.max = Math.max(total, 1);
    bar.value = done;
  }).then((r) => {
    if (r.doctypes.length) {
      resealDone = "Done: " + r.what.join(", ") + " sealed with new keys. An app you removed cannot open what you write from now on.";
      box.dataset.done = "true";
    }
    // A run that only checked has nothing new to tell.
    if (resealDone) {
      text.textContent = resealDone;
      bar.value = bar.max;
    } else box.hidden = true;
  }, (err) => {
    box.hidden = false;
    text.textContent = "Sealing with new keys stopped: " + say(err) + " It goes on next time you open Home.";
  }).finally(() => { resealing = null; });
  return resealing;
}

async function renderAccount() {
  try {
    const acct = await h.account();
    renderHalted(acct.halted || "");
    totpState(acct.totp);
    renderStorage(acct.usage, acct.quota);
  } catch (err) {
    show($("#totp-msg"), say(err));
  }
}

// renderHalted shows, when this browser stopped writing to the account
// (protocol §4.7), why, and lets the person go on with what the server
// holds now, asked twice.
function renderHalted(why) {
  const box = $("#halted");
  box.hidden = !why;
  if (!why) return;
  $("#halted-why").textContent = why; // the client's words, behind "Details"
  const accept = $("#halted-accept"), confirm = $("#halted-confirm"), msg = $("#halted-msg");
  confirm.hidden = true;
  accept.onclick = () => { confirm.hidden = false; confirm.focus(); };
  confirm.onclick = async () => {
    confirm.disabled = accept.disabled = true;
    show(msg, "Reading your account again…");
    try {
      await h.acceptServerState();
      box.hidden = true;
      msg.hidden = true;
      await renderAccount();
    } catch (err) {
      show(msg, say(err));
    } finally {
      confirm.disabled = accept.disabled = false;
    }
  };
}

// signupMode shows the invitation field when the server's sign-up needs
// one, and says so when sign-up is closed (protocol §8.2.9).
let signupKind = "";
const closedWords = "Sign-up is closed on this server: its operator makes the accounts.";
async function signupMode() {
  let mode = "open";
  try {
    mode = (await h.serverInfo()).signup;
  } catch {
    return; // the form stays as it is; sign-up itself will say what is wrong
  }
  signupKind = mode;
  const f = $("#signup-form");
  $("#signup-invite").hidden = mode !== "invite";
  f.invite.required = mode === "invite";
  f.querySelector("button[type=submit]").disabled = mode === "closed";
  if (mode === "closed") show($("#signup-msg"), closedWords);
}

// bytes writes a size for people, in powers of 1024 like the command line.
function bytes(n) {
  if (n < 1024) return n === 1 ? "1 byte" : n + " bytes";
  const units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  for (n /= 1024; n >= 1024 && i < units.length - 1; n /= 1024) i++;
  return (Math.floor(n * 10) / 10).toLocaleString("en", { maximumFractionDigits: 1 }) + " " + units[i];
}

// renderStorage shows what the account stores against its limits, with a
// bar, and says plainly when it is full or nearly so.
function renderStorage(usage, quota) {
  const text = $("#storage-text"), bar = $("#storage-bar"), docs = $("#storage-docs"), msg = $("#storage-msg");
  const limit = quota && quota.bytes, dlimit = quota && quota.docs;
  const share = Math.max(limit ? usage.bytes / limit : 0, dlimit ? usage.docs / dlimit : 0);
  if (limit) {
    text.textContent = bytes(usage.bytes) + " of " + bytes(limit) + " used (" + Math.min(100, Math.floor(usage.bytes * 100 / limit)) + "%)";
  } else {
    text.textContent = usage.bytes ? bytes(usage.bytes) + " used. This server sets no limit." : "Nothing stored yet. This server sets no limit.";
  }
  bar.hidden = !limit && !dlimit;
  bar.max = 1;
  bar.value = Math.min(1, share);
  bar.classList.toggle("near", share >= 0.9 && share < 1);
  bar.classList.toggle("full", share >= 1);
  const n = usage.docs.toLocaleString("en");
  docs.textContent = dlimit ? n + " of " + dlimit.toLocaleString("en") + " documents" : (usage.docs === 1 ? "1 document" : n + " documents");
  if (share >= 1) {
    show(msg, "Your Hearth is full. New notes, files and apps cannot be saved until you delete something you no longer need, or the server's operator gives you more room.");
  } else if (share >= 0.9) {
    show(msg, "Your Hearth is almost full. Delete what you no longer need, or ask the server's operator for more room.", "warn");
  } else {
    show(msg, "");
  }
}

const el = (tag, props = {}, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
};

// originOf is an app's origin as people read it (notes.alice.localhost:8080):
// Home builds it, and it tells apart two apps of one name (spec/apps.md §3).
function originOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

// originLine shows an app's origin, with places to break the line after
// its dots (a narrow column breaks it there, not inside a word).
function originLine(url) {
  const parts = originOf(url).split(".");
  const e = el("div", { className: "muted small origin" });
  parts.forEach((p, i) => e.append(i < parts.length - 1 ? p + "." : p, ...(i < parts.length - 1 ? [el("wbr")] : [])));
  return e;
}

// features lists the browser features an app asks for, in words with its
// reasons (spec/apps.md §1, "features"); every other one is denied to it.
function showFeatures(list, features) {
  list.replaceChildren(...(features || []).map((f) => el("li", {}, el("strong", { textContent: f.what }),
    el("span", { className: "muted", textContent: " — " + f.reason }))));
  list.hidden = !list.children.length;
  list.previousElementSibling.hidden = list.hidden;
}

async function renderApps() {
  const list = $("#apps"), store = $("#store");
  try {
    const apps = await h.apps();
    const row = (a, ...actions) => el("li", {},
      el("span", { className: "app-icon", textContent: Array.from(a.name)[0] || "?" }),
      el("div", { className: "grow app-about" }, el("strong", { textContent: a.name }),
        originLine(a.url),
        el("div", { className: "muted small", textContent: a.description || "" })),
      ...actions);
    list.replaceChildren(...apps.filter((a) => a.installed).map((a) => {
      const actions = [el("a", { className: "button", href: a.url, textContent: "Open" })];
      if (a.removable) {
        const rm = el("button", { className: "secondary", textContent: "Uninstall" });
        rm.dataset.uninstall = a.slug;
        rm.addEventListener("click", () => busy(rm, async () => {
          if (!confirm("Uninstall " + a.name + "? It stops working at once, on every device.")) return;
          try {
            await h.uninstallApp(a.slug);
            await Promise.all([renderApps(), renderConnections()]);
            runReseal();
          } catch (err) {
            show($("#store-msg"), say(err));
          }
        }));
        actions.push(rm);
      }
      return row(a, ...actions);
    }));
    const offered = apps.filter((a) => !a.installed);
    store.replaceChildren(...(offered.length ? offered.map((a) => {
      const b = el("button", { textContent: "Install" });
      b.dataset.install = a.slug;
      b.addEventListener("click", () => busy(b, () => offerInstall(a.slug)));
      return row(a, b);
    }) : [el("li", { className: "muted small", textContent: "You have every app that comes with Hearth." })]));
  } catch (err) {
    list.replaceChildren(el("li", { textContent: say(err) }));
  }
}

// offerInstall shows what an app asks for (spec/apps.md §3) and installs
// it only on the person's click. source: a slug, an archive File, or a
// folder's Files.
async function offerInstall(source) {
  const msg = $("#store-msg");
  show(msg, "");
  let offer;
  try {
    offer = await h.appOffer(source);
  } catch (err) {
    show(msg, say(err));
    msg.scrollIntoView({ block: "center" });
    return;
  }
  const imsg = $("#install-msg");
  show(imsg, "");
  const what = (p) => el("li", {}, el("strong", { textContent: p.what }),
    p.reason ? el("span", { className: "muted", textContent: " — " + p.reason }) : "",
    p.new ? el("span", {}, " ", el("span", { className: "badge", textContent: "new" })) : "");
  $("#install-title").textContent = offer.update
    ? (offer.older ? "Go back to an older " : "Update ") + offer.name + "?"
    : "Install " + offer.name + "?";
  $("#install-about").textContent = [
    offer.update && offer.from ? "Version " + offer.from + " → " + offer.version : "Version " + offer.version,
    offer.description].filter(Boolean).join(" · ");
  $("#install-origin").textContent = originOf(offer.url);
  const changes = offer.update && (offer.added.length || offer.removed.length);
  $("#install-changes").hidden = !changes;
  $("#install-added").replaceChildren(...offer.added.map((p) => el("li", {}, "Asks for the first time: ", el("strong", { textContent: p.what }))));
  $("#install-removed").replaceChildren(...offer.removed.map((p) => el("li", { className: "muted" }, "No longer asks: ", p.what)));
  $("#install-lead").textContent = offer.update ? "After the update it will be able to:" : "It will be able to:";
  $("#install-scopes").replaceChildren(...offer.permissions.map(what));
  showFeatures($("#install-features"), offer.features);
  $("#install-allow").textContent = offer.update ? "Update" : "Install";
  view("install");
  $("#install-allow").onclick = () => busy($("#install-allow"), async () => {
    try {
      const r = await h.installApp(offer.slug);
      location.assign(r.url); // the app connects without asking: the agreement is recorded
    } catch (err) {
      show(imsg, say(err));
    }
  });
  $("#install-deny").onclick = () => {
    view("dashboard");
    renderApps();
  };
}

function bindInstall() {
  for (const id of ["#install-file", "#install-folder"]) {
    const input = $(id);
    input.addEventListener("change", () => {
      const files = Array.from(input.files || []);
      input.value = "";
      if (files.length) offerInstall(id === "#install-file" ? files[0] : files);
    });
  }
}

async function renderConnections() {
  const list = $("#connections");
  try {
    const conns = await h.connections();
    if (conns.length === 0) {
      list.replaceChildren(Object.assign(document.createElement("li"), { className: "muted small", textContent: "None yet. Apps connect when you first open them." }));
      return;
    }
    list.replaceChildren(...conns.map((c) => {
      const li = document.createElement("li");
      const text = document.createElement("div");
      text.className = "grow";
      const name = Object.assign(document.createElement("strong"), { textContent: c.name });
      if (c.here) name.append(" ", Object.assign(document.createElement("span"), { className: "badge", textContent: "this browser" }));
      text.append(name,
        Object.assign(document.createElement("div"), { className: "muted small", textContent: c.what.join("; ") }),
        Object.assign(document.createElement("div"), { className: "muted small", textContent: "Last used " + new Date(c.lastSeen).toLocaleString() }));
      const off = Object.assign(document.createElement("button"), { className: "danger", textContent: "Disconnect" });
      off.addEventListener("click", () => busy(off, async () => {
        await h.disconnect(c.id);
        await renderConnections();
        runReseal();
      }));
      li.append(text, off);
      return li;
    }));
  } catch (err) {
    list.replaceChildren(Object.assign(document.createElement("li"), { textContent: say(err) }));
  }
}

async function renderSessions() {
  const list = $("#sessions");
  try {
    const sessions = await h.sessions();
    list.replaceChildren(...sessions.map((s) => {
      const li = document.createElement("li");
      const text = document.createElement("div");
      text.className = "grow";
      const name = Object.assign(document.createElement("strong"), { textContent: s.device });
      if (s.current) name.append(" ", Object.assign(document.createElement("span"), { className: "badge", textContent: "this browser" }));
      text.append(name, Object.assign(document.createElement("div"), {
        className: "muted small",
        textContent: "Last used " + new Date(s.lastSeen).toLocaleString(),
      }));
      li.append(text);
      if (!s.current) {
        const revoke = Object.assign(document.createElement("button"), { className: "danger", textContent: "Revoke" });
        revoke.addEventListener("click", () => busy(revoke, async () => {
          await h.revokeSession(s.id);
          await renderSessions();
        }));
        li.append(revoke);
      }
      return li;
    }));
  } catch (err) {
    list.replaceChildren(Object.assign(document.createElement("li"), { textContent: say(err) }));
  }
}

// fromApp reports whether this page was opened from the app at url (the
// app's request navigation sends its origin as the referrer; a link
// anyone made, elsewhere, does not).
function fromApp(url) {
  try {
    return document.referrer !== "" && new URL(document.referrer).origin === new URL(url).origin;
  } catch {
    return false;
  }
}

// connect answers an app's request (spec/web.md §5): show what it gets,
// and on consent create its token and grant and send it back.
// appName names the app of a pending #connect request, for people (a
// bundled app's name; anything else is shown as "an app").
function appName() {
  const app = new URLSearchParams(location.hash.slice("#connect?".length)).get("app");
  return app === "notes" ? "Notes" : "an app";
}

async function connect() {
  const params = new URLSearchParams(location.hash.slice("#connect?".length));
  const req = { app: params.get("app"), user: params.get("user"), recipient: params.get("recipient"), state: params.get("state") };
  // An app that stopped saving asks whether the person decided since
  // (spec/web.md §5.1).
  if (params.get("halted") === "1") Object.assign(req, { halted: true, epoch: Number(params.get("epoch")) || 0 });
  const msg = $("#connect-msg");
  // The buttons show once the offer is known, so that a click always acts.
  $("#connect-allow").hidden = $("#connect-deny").hidden = true;
  $("#connect-halted").hidden = true;
  $("#connect-ask").hidden = false;
  $("#connect-origin").textContent = "";
  showFeatures($("#connect-features"), []);
  view("connect");
  try {
    const offer = await h.connectOffer(req); // { name, url, scopes: [{ doctype, what }], remembered, halted?, appHalted? }
    // Back to the app without a connection: it stays as it was, halted.
    const backHalted = () => {
      history.replaceState(null, "", location.pathname);
      location.replace(offer.url + "#connected?halted=1&state=" + encodeURIComponent(req.state || ""));
    };
    if (offer.halted) return backHalted(); // Home stopped saving too: the decision is on its dashboard
    if (offer.appHalted) {
      // The server showed only the app an older account: the person decides.
      $("#connect-ask").hidden = true;
      $("#connect-halted").hidden = false;
      for (const el of document.querySelectorAll(".connect-halted-name")) el.textContent = offer.name;
      $("#connect-goon").onclick = () => busy($("#connect-goon"), async () => {
        try {
          const back = await h.connectApp(req);
          history.replaceState(null, "", location.pathname);
          location.replace(back);
        } catch (err) {
          show(msg, say(err));
        }
      });
      $("#connect-back").onclick = backHalted;
      return;
    }
    if (offer.remembered && fromApp(offer.url)) {
      // The user agreed to this app with these permissions before (in any
      // browser), and the request comes from the app's own page: connect it
      // without asking again (spec/web.md §5).
      $("#connect-name").textContent = offer.name;
      $("#connect-scopes").replaceChildren();
      show(msg, "Opening " + offer.name + "…", "ok");
      const back = await h.connectApp(req);
      history.replaceState(null, "", location.pathname);
      location.replace(back);
      return;
    }
    $("#connect-name").textContent = offer.name;
    $("#connect-origin").textContent = originOf(offer.url);
    $("#connect-scopes").replaceChildren(...offer.scopes.map((s) =>
      Object.assign(document.createElement("li"), { textContent: s.what })));
    showFeatures($("#connect-features"), offer.features);
    $("#connect-allow").hidden = $("#connect-deny").hidden = false;
    $("#connect-allow").onclick = () => busy($("#connect-allow"), async () => {
      try {
        const back = await h.connectApp(req); // → URL of the app with the token in its fragment
        history.replaceState(null, "", location.pathname);
        location.replace(back);
      } catch (err) {
        show(msg, say(err));
      }
    });
    $("#connect-deny").onclick = () => {
      history.replaceState(null, "", location.pathname);
      signedIn();
    };
  } catch (err) {
    show(msg, say(err));
  }
}

// ---- intents (spec/apps.md §5) ----

const INTENT_TICKET = "hearth:intent-ticket";

// intent shows what an app asks another to do, and passes it on only on the
// person's click.
async function intent() {
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
    $("#intent-deny").onclick = () => { view("dashboard"); signedIn(); };
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
        el("span", { className: "muted small origin", textContent: originOf(hd.url) }))));
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
function intentDone() {
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

main().catch((err) => {
  document.body.prepend(Object.assign(document.createElement("div"), { className: "message error", textContent: "Hearth could not start: " + say(err) }));
});

// ---- search (spec/web.md §3.4) ----
//
// The search worker (hearth-search.wasm: the client with bleve, several
// times larger than hearth.wasm) starts when the box is first used. It
// resumes the session this page's worker saved, opens every doctype's
// index (loading the stored ones, building the others) and answers as the
// person types: one query at a time, the latest one waiting.

let searcher = null;  // Promise<Hearth|null>
let searchBound = false;

function bindSearch() {
  if (searchBound) return;
  searchBound = true;
  const box = $("#search");
  let timer = 0, running = false, next = null;
  const status = (text) => { $("#search-status").textContent = text; $("#search-status").hidden = !text; };
  const start = () => {
    if (!searcher) {
      status("Preparing search…");
      searcher = Hearth.openSearch({ server: location.origin }).catch((err) => { status(say(err)); searcher = null; return null; });
    }
    return searcher;
  };
  const run = async (q) => {
    if (running) { next = q; return; }
    running = true;
    try {
      const s = await start();
      if (!s) return;
      const t0 = performance.now();
      const r = await s.search(asTyped(q), { limit: 5 });
      renderResults(q, r, performance.now() - t0, status);
    } catch (err) {
      if (err.code === "bad_input") status("Keep typing: the query is not finished.");
      else status(say(err));
    } finally {
      running = false;
      if (next !== null) { const q2 = next; next = null; run(q2); }
    }
  };
  box.addEventListener("focus", start);
  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(box.value), 120);
  });
}

// asTyped makes the word being typed a prefix: "lisb" finds Lisbon. Only a
// last word of three letters or more, outside quotes, with no operator.
function asTyped(q) {
  if ((q.match(/"/g) || []).length % 2 === 1) return q;
  const m = /(^|\s)([\p{L}\p{N}]{3,})$/u.exec(q);
  return m ? q + "*" : q;
}

function renderResults(q, r, ms, status) {
  const out = $("#search-results");
  out.dataset.query = q; // what the results shown answer (for the tests)
  out.dataset.ms = String(Math.round(ms));
  if (r.rebuilt && r.rebuilt.length) {
    status("The stored index of " + r.rebuilt.map((x) => x.doctype).join(", ") +
      " could not be used (it may have been altered) and was rebuilt from your data.");
  } else status("");
  if (!q.trim()) { out.replaceChildren(); return; }
  if (r.groups.length === 0) {
    out.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "Nothing matches." }));
    return;
  }
  out.replaceChildren(...r.groups.map((g) => {
    const sec = Object.assign(document.createElement("section"), { className: "results-group" });
    sec.dataset.doctype = g.doctype;
    const h3 = Object.assign(document.createElement("h3"), { textContent: g.app ? g.app.name : g.doctype });
    h3.append(" ", Object.assign(document.createElement("span"), { className: "muted", textContent: "(" + g.total + ")" }));
    const ul = document.createElement("ul");
    for (const hit of g.hits) {
      const li = document.createElement("li");
      const a = document.createElement(hit.url ? "a" : "div");
      if (hit.url) a.href = hit.url;
      a.dataset.id = hit.id;
      a.append(Object.assign(document.createElement("strong"), { textContent: hit.title || "Untitled" }));
      if (hit.snippet) {
        const sn = Object.assign(document.createElement("div"), { className: "snippet muted" });
        if (hit.snippet.cutStart) sn.append("…");
        for (const p of hit.snippet.parts) sn.append(p.mark ? Object.assign(document.createElement("mark"), { textContent: p.text }) : p.text);
        if (hit.snippet.cutEnd) sn.append("…");
        a.append(sn);
      }
      li.append(a);
      ul.append(li);
    }
    sec.append(h3, ul);
    return sec;
  }));
}
