// Home: sign-up and sign-in, two-factor authentication, installed apps,
// sessions, sign-out, and the consent step of connecting an app
// (spec/web.md §5). All cryptography happens in the worker behind hearth.js.
// The account pages (password, recovery) are in home-account.js, passkeys
// in home-passkeys.js; the app
// store, installing and connecting apps in home-apps.js,
// intents in home-intents.js, search in home-search.js.
import { Hearth } from "./hearth.js";
import { $, busy, el, sayer, show, words as common } from "./hearth-kit.js";
import { bindAccount, showRecoveryKey } from "./home-account.js";
import { bindPasskeys, offerPasskeyStep, renderPasskeys } from "./home-passkeys.js";
import { appName, bindInstall, connect, renderApps } from "./home-apps.js";
import { intent, intentDone } from "./home-intents.js";
import { bindSearch } from "./home-search.js";

const view = (id) => {
  for (const v of document.querySelectorAll("[data-view]")) v.hidden = v.dataset.view !== id;
};

// Messages for error codes, in words a person understands.
const inWords = sayer(common, {
  bad_credentials: "Wrong user name or password.",
  totp_required: "This account uses two-factor authentication: enter the code from your authenticator app.",
  totp_invalid: "That code is not right. Check your authenticator app and try again.",
  totp_replayed: "That code was already used. Wait for the next one.",
  rate_limited: "Too many attempts. Wait a little and try again.",
  user_exists: "That user name is taken.",
  invalid_name: "User names use lower-case letters, digits and dashes.",
  session_ended: "Your session ended. Sign in again.",
  kdf_changed: "The server gives this account other sign-in settings than this browser knew. If you changed your password on another device, tick the box below and sign in with the new one. If you did not, the server was changed: do not sign in here, and ask its operator.",
});
const say = (err) => {
  // A write refused because the account is full: the storage card says so too.
  if (err && err.code === "account_full" && h && h.user) renderAccount();
  return inWords(err);
};

// Home's bar (the standard page's, spec/apps.md §4.1) holds its sign-out
// button, shown once signed in.
$("header.bar").append(el("button", { className: "secondary", id: "signout", hidden: true }, "Sign out"));

let h;
// What home-apps.js and home-intents.js use of this page.
const home = { h: null, say, view, signedIn, renderConnections, renderSessions, renderPasskeys, runReseal };
let signedOutNote = false; // arrived at the end of a sign-out
let formChosen = false;    // the person went to the sign-in or sign-up form themselves

async function main() {
  h = home.h = await Hearth.open({ server: location.origin });
  // Signed out in another tab, or the session was revoked or expired: start
  // again from the sign-in form.
  h.onsessionended = () => location.reload();
  bindForms();
  // A request arriving in this tab (a link followed while Home is open)
  // starts afresh, as it would in a new tab.
  addEventListener("hashchange", () => {
    if (/^#(connect|intent|intent-done|signout)\?/.test(location.hash)) location.reload();
  });
  let stored = null; // why this browser's storage could not be read, if it could not
  const restored = await h.resume().catch((err) => { stored = err; return false; });
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
    // A browser that remembers no account opens on "Create account": on a
    // new server there is none to sign in to. One that does (or that came
    // to connect an app, or from a sign-out) opens on "Sign in"; either
    // way the tabs, and the line under the form, go to the other.
    const signIn = h.known || stored || signedOutNote || /^#(connect|intent)\?/.test(location.hash);
    view(signIn ? "signin" : "signup");
    signupMode().then((mode) => {
      // Sign-up closed: only signing in is left, unless the person chose the form already.
      if (mode === "closed" && !signIn && !formChosen) view("signin");
    });
    if (stored && stored.code === "storage_blocked") show($("#signin-msg"), say(stored));
    if (location.hash.startsWith("#connect?")) {
      show($("#signin-msg"), "Sign in to connect " + appName() + ".", "ok");
      // The app's origin names the account it belongs to: fill it in.
      const user = new URLSearchParams(location.hash.slice("#connect?".length)).get("user") || "";
      if (/^[a-z0-9-]{1,32}$/.test(user)) {
        $("#signin-form").user.value = user;
        $("#signin-form").password.focus();
      }
    } else if (location.hash.startsWith("#intent?")) {
      show($("#signin-msg"), "Sign in to continue.", "ok");
    } else if (signedOutNote) {
      show($("#signin-msg"), "Signed out. This browser keeps no keys of your account.", "ok");
    }
    performance.mark("hearth:signin-ready"); // for the load benchmark
  }
}

function bindForms() {
  // Tabs between sign-in and sign-up, atop each of the two views.
  for (const list of document.querySelectorAll("[data-view=signin] .tabs, [data-view=signup] .tabs")) {
    const on = list.closest("[data-view]").dataset.view;
    for (const [tab, text] of [["signin", "Sign in"], ["signup", "Create account"]]) {
      const b = el("button", { type: "button" }, text);
      b.setAttribute("role", "tab");
      b.dataset.tab = tab;
      b.setAttribute("aria-selected", String(tab === on));
      list.append(b);
    }
  }
  for (const tab of document.querySelectorAll("[data-tab], [data-go-tab]")) {
    tab.addEventListener("click", () => {
      const to = tab.dataset.tab || tab.dataset.goTab;
      formChosen = true;
      for (const t of document.querySelectorAll("[data-tab]")) t.setAttribute("aria-selected", String(t.dataset.tab === to));
      view(to);
      if (tab.dataset.goTab) $(`#${to}-form [name=user]`).focus(); // from the line under the other form
    });
  }

  bindAccount(home);
  bindPasskeys(home);

  $("#signin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target, msg = $("#signin-msg");
    show(msg, "");
    await busy(f.querySelector("button[type=submit]"), async () => {
      try {
        await h.login(f.user.value.trim(), f.password.value, f.totp.value.trim(), { passwordChanged: f.changed.checked });
        f.reset();
        $("#signin-changed").hidden = true;
        await signedIn();
      } catch (err) {
        show(msg, say(err));
        if (err.code === "kdf_changed") $("#signin-changed").hidden = false;
        if (err.code === "totp_required" || err.code === "totp_invalid" || err.code === "totp_replayed") {
          offerPasskeyStep();
          f.totp.focus();
        }
      }
    });
  });

  // A refusal said at the last submit goes once the person changes what
  // was refused, rather than staying under a password now good enough.
  $("#signup-form").addEventListener("input", () => { if ($("#signup-msg").classList.contains("error")) show($("#signup-msg"), ""); });

  $("#signup-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target, msg = $("#signup-msg");
    show(msg, "");
    if (f.password.value !== f.password2.value) return show(msg, "The passwords differ.");
    await busy(f.querySelector("button[type=submit]"), async () => {
      try {
        const { recoveryKey } = await h.signup(f.user.value.trim(), f.password.value, f.invite.value.trim());
        f.reset();
        showRecoveryKey(recoveryKey, "Save your recovery key", () => signedIn());
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
        list.replaceChildren(...recoveryCodes.map((c) => el("span", { textContent: c })));
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

// appOrigin accepts only an app of user at Home's own domain and port:
// Home at home.<domain>, the app at http(s)://<app>.<user>.<domain>[:port]/
// (spec/web.md §1).
function appOrigin(u, user) {
  try {
    const url = new URL(u);
    const labels = url.hostname.split(".");
    return url.protocol === location.protocol && url.port === location.port && labels.length >= 3 &&
      location.hostname.startsWith("home.") && labels.slice(2).join(".") === location.hostname.slice("home.".length) &&
      /^[a-z0-9-]+$/.test(labels[0]) && labels[1] === user;
  } catch {
    return false;
  }
}

// totpState shows the TOTP card for an account with TOTP on or off.
function totpState(on, keepCodes = false) {
  $("#totp-status").textContent = on ? "On" : "Off";
  $("#totp-status").className = "badge " + (on ? "on" : "off");
  $("#totp-enable").hidden = on;
  $("#totp-enroll").hidden = true;
  $("#totp-disable-form").hidden = !on;
  if (!keepCodes) $("#totp-recovery").hidden = true;
}

async function signedIn() {
  $("#who").textContent = h.user;
  $("#signout").hidden = false;
  if (location.hash.startsWith("#connect?")) return connect(home);
  if (location.hash.startsWith("#intent?")) return intent(home);
  bindSearch(say);
  bindInstall(home);
  view("dashboard");
  performance.mark("hearth:dashboard");
  await Promise.all([renderApps(home), renderSessions(), renderAccount(), renderConnections(), renderPasskeys()]);
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
    return ""; // the form stays as it is; sign-up itself will say what is wrong
  }
  signupKind = mode;
  const f = $("#signup-form");
  $("#signup-invite").hidden = mode !== "invite";
  f.invite.required = mode === "invite";
  f.querySelector("button[type=submit]").disabled = mode === "closed";
  if (mode === "closed") show($("#signup-msg"), closedWords);
  return mode;
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
    // Above 100% when the operator lowered the limit below what is stored.
    const pct = Math.floor(usage.bytes * 100 / limit);
    text.textContent = bytes(usage.bytes) + " of " + bytes(limit) + " used (" + pct + "%" + (pct > 100 ? ", over the limit" : "") + ")";
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

// deviceRow is the row of a connected app or a session: its name ("this
// browser" beside it when it is this one), lines of detail, and a button
// that acts on it (label, act), if any.
function deviceRow(name, here, lines, label, act) {
  const strong = el("strong", { textContent: name });
  if (here) strong.append(" ", el("span", { className: "badge", textContent: "this browser" }));
  const li = el("li", {}, el("div", { className: "grow" }, strong,
    ...lines.map((line) => el("div", { className: "muted small", textContent: line }))));
  if (label) {
    const b = el("button", { className: "danger", textContent: label });
    b.addEventListener("click", () => busy(b, act));
    li.append(b);
  }
  return li;
}

const lastUsed = (t) => "Last used " + new Date(t).toLocaleString();

async function renderConnections() {
  const list = $("#connections");
  try {
    const conns = await h.connections();
    if (conns.length === 0) {
      list.replaceChildren(el("li", { className: "muted small", textContent: "None yet. Apps connect when you first open them." }));
      return;
    }
    list.replaceChildren(...conns.map((c) => deviceRow(c.name, c.here, [c.what.join("; "), lastUsed(c.lastSeen)], "Disconnect", async () => {
      await h.disconnect(c.id);
      await renderConnections();
      runReseal();
    })));
  } catch (err) {
    list.replaceChildren(el("li", { textContent: say(err) }));
  }
}

async function renderSessions() {
  const list = $("#sessions");
  try {
    const sessions = await h.sessions();
    list.replaceChildren(...sessions.map((s) => deviceRow(s.device, s.current, [lastUsed(s.lastSeen)], !s.current && "Revoke", async () => {
      await h.revokeSession(s.id);
      await renderSessions();
    })));
  } catch (err) {
    list.replaceChildren(el("li", { textContent: say(err) }));
  }
}

main().catch((err) => {
  document.body.prepend(el("div", { className: "message error", textContent: "Hearth could not start: " + say(err) }));
});
