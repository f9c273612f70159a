// Home's passkeys (protocol §4.8, spec/web.md §5): adding one, listing,
// renaming and removing them, signing in with one, and one as the second
// step of a password sign-in. WebAuthn runs here, in Home's page, where
// navigator.credentials is; the worker begins each ceremony with the
// server and finishes it with what the authenticator answered. The PRF
// output goes only to the worker: the credential sent to the server
// carries no extension results.
import { $, ask, busy, el, show } from "./hearth-kit.js";

let home; // home.js's: { h, say, view, signedIn }

const MAX = 10; // protocol §4.8

/** Whether this browser can use passkeys at all. */
export const passkeysSupported = () => typeof PublicKeyCredential !== "undefined" && !!navigator.credentials;

const fromB64 = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(s.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
const toB64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));
const toB64url = (buf) => toB64(buf).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

// The JSON options of a ceremony (base64url byte strings, as the server
// gives them) as navigator.credentials takes them, asking for the PRF.
// What the server could word to its advantage is Home's to say: the
// relying party is Home's host, never a wider domain (whose every site
// could ask the passkey for its PRF output), and no attestation is asked
// for (it would name the authenticator's model to the host).
function publicKey(options, salt) {
  const pk = structuredClone(options.publicKey);
  pk.challenge = fromB64(pk.challenge);
  if (pk.user) {
    pk.user = { ...pk.user, id: fromB64(pk.user.id) };
    pk.rp = { ...pk.rp, id: location.hostname };
    pk.attestation = "none";
    delete pk.attestationFormats;
  } else pk.rpId = location.hostname;
  for (const list of ["excludeCredentials", "allowCredentials"]) {
    if (pk[list]) pk[list] = pk[list].map((c) => ({ ...c, id: fromB64(c.id) }));
  }
  pk.extensions = { ...(pk.extensions || {}), prf: { eval: { first: salt } } };
  return pk;
}

// withoutModel is a new passkey's attestation object (attestation "none":
// no statement, nothing signed) with the AAGUID of its authenticator data
// zeroed, as the WebAuthn spec lets a browser do: the AAGUID names the
// authenticator's model, which is not the host's to know (protocol §1.2).
function withoutModel(r) {
  const ao = new Uint8Array(r.attestationObject);
  const ad = r.getAuthenticatorData ? new Uint8Array(r.getAuthenticatorData()) : null;
  if (!ad || ad.length < 53) return ao;
  // authData: rpIdHash (32) flags (1) signCount (4) AAGUID (16) …, held
  // whole in the object's CBOR.
  outer: for (let i = 0; i + ad.length <= ao.length; i++) {
    for (let j = 0; j < ad.length; j++) if (ao[i + j] !== ad[j]) continue outer;
    ao.fill(0, i + 37, i + 53);
    return ao;
  }
  return ao;
}

// credentialJSON is a PublicKeyCredential as the server reads it, without
// its extension results (the PRF output never leaves this browser) nor its
// authenticator's model.
function credentialJSON(c) {
  const r = c.response;
  const response = { clientDataJSON: toB64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toB64url(withoutModel(r));
    if (r.getTransports) response.transports = r.getTransports();
  } else {
    response.authenticatorData = toB64url(r.authenticatorData);
    response.signature = toB64url(r.signature);
    if (r.userHandle) response.userHandle = toB64url(r.userHandle);
  }
  return { id: c.id, rawId: toB64url(c.rawId), type: c.type, response, clientExtensionResults: {} };
}

const prfOf = (c) => {
  const first = c.getClientExtensionResults().prf?.results?.first;
  return first ? toB64(first) : undefined;
};

// addPasskey makes a passkey and adds it to the account.
async function addPasskey(name) {
  const cer = await home.h.passkeyBegin();
  const salt = fromB64(cer.prfSalt);
  const cred = await navigator.credentials.create({ publicKey: publicKey(cer.options, salt) });
  let prf = prfOf(cred);
  if (!prf && cred.getClientExtensionResults().prf?.enabled) {
    // The authenticator has the PRF but gives its output only when signing
    // in: ask it once more, for this passkey alone (nothing goes to the server).
    const again = await navigator.credentials.get({ publicKey: {
      challenge: crypto.getRandomValues(new Uint8Array(32)), rpId: location.hostname,
      allowCredentials: [{ type: "public-key", id: cred.rawId }], userVerification: "preferred",
      extensions: { prf: { eval: { first: salt } } } } });
    prf = prfOf(again);
  }
  return home.h.passkeyAdd({ ticket: cer.ticket, credential: credentialJSON(cred), prf, name });
}

// passkeyAnswer asks a passkey of this site to sign in: in place of the
// password (unlock), it must verify the person (PIN, fingerprint, face),
// which the server checks; as a second step, a touch is enough.
async function passkeyAnswer(unlock) {
  const cer = await home.h.passkeySignInBegin();
  const pk = publicKey(cer.options, fromB64(cer.prfSalt));
  if (unlock) pk.userVerification = "required";
  const a = await navigator.credentials.get({ publicKey: pk });
  return { ticket: cer.ticket, credential: credentialJSON(a), prf: prfOf(a) };
}

// sayPasskey words a failure of a ceremony.
function sayPasskey(err) {
  if (err && (err.name === "NotAllowedError" || err.name === "AbortError")) return "No passkey was used: it was cancelled, or took too long.";
  if (err && err.name === "InvalidStateError") return "This passkey is already one of your account's.";
  if (err && err.name === "SecurityError") return "This browser will not use passkeys on this address (passkeys need https, or localhost).";
  if (err && err.code === "passkey_no_unlock") return "This passkey cannot open your data by itself: your browser or the passkey cannot give the secret that needs, or it did not check that it is you (a PIN, fingerprint or face). Sign in with your password; the passkey can then be your second step.";
  if (err && err.code === "bad_credentials") return "This passkey is not one of an account on this Hearth.";
  return home.say(err);
}

/** bindPasskeys wires the passkey buttons; home gives home.js's handle and views. */
export function bindPasskeys(h0) {
  home = h0;
  const ok = passkeysSupported();
  $("#signin-passkey").hidden = !ok;
  $("#signin-passkey").addEventListener("click", (e) => busy(e.currentTarget, async () => {
    const msg = $("#signin-msg");
    show(msg, "");
    try {
      await home.h.passkeySignIn(await passkeyAnswer(true));
      await home.signedIn();
    } catch (err) {
      show(msg, sayPasskey(err));
    }
  }));
  $("#signin-passkey-2fa").addEventListener("click", (e) => busy(e.currentTarget, async () => {
    const f = $("#signin-form"), msg = $("#signin-msg");
    show(msg, "");
    try {
      const { ticket, credential } = await passkeyAnswer(false);
      await home.h.login(f.user.value.trim(), f.password.value, "", { passwordChanged: f.changed.checked, passkey: { ticket, credential } });
      f.reset();
      $("#signin-passkey-2fa").hidden = true;
      await home.signedIn();
    } catch (err) {
      show(msg, err.code === "totp_invalid" ? "This passkey is not one of this account's." : sayPasskey(err));
    }
  }));

  $("#passkey-form").hidden = !ok;
  if (!ok) show($("#passkeys-msg"), "This browser cannot use passkeys.", "warn");
  $("#passkey-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target, msg = $("#passkeys-msg");
    show(msg, "");
    await busy(f.querySelector("button[type=submit]"), async () => {
      try {
        const p = await addPasskey(f.name.value);
        f.reset();
        show(msg, p.unlocks
          ? `“${p.name}” added: it signs you in and opens your data without the password.`
          : `“${p.name}” added as a second step: this browser or passkey cannot open your data by itself, so sign in with your password and use the passkey in place of a code.`, "ok");
        await renderPasskeys();
      } catch (err) {
        show(msg, sayPasskey(err));
      }
    });
  });
}

/** When the password sign-in asks for a second step, offer a passkey. */
export function offerPasskeyStep() {
  if (passkeysSupported()) $("#signin-passkey-2fa").hidden = false;
}

const when = (t) => new Date(t).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });

/** renderPasskeys lists the account's passkeys in their card. */
export async function renderPasskeys() {
  const list = $("#passkeys");
  try {
    const keys = await home.h.passkeys();
    $("#passkey-form").hidden = !passkeysSupported() || keys.length >= MAX;
    $("#passkeys-full").hidden = keys.length < MAX;
    if (keys.length === 0) {
      list.replaceChildren(el("li", { className: "muted small", textContent: "No passkeys yet." }));
      return;
    }
    list.replaceChildren(...keys.map(passkeyRow));
  } catch (err) {
    list.replaceChildren(el("li", { textContent: home.say(err) }));
  }
}

function passkeyRow(p) {
  const name = el("strong", { className: "name", textContent: p.name });
  const badge = el("span", { className: "badge " + (p.unlocks ? "on" : "off"), textContent: p.unlocks ? "opens your data" : "second step only" });
  const detail = el("div", { className: "muted small", textContent: "Added " + when(p.created) + (p.lastUsed ? " · last used " + when(p.lastUsed) : " · not used yet") });
  const about = el("div", { className: "grow" }, el("div", {}, name, " ", badge), detail);
  const rename = el("button", { type: "button", className: "secondary", textContent: "Rename" });
  const remove = el("button", { type: "button", className: "danger", textContent: "Remove" });
  const li = el("li", { className: "passkey" }, about, el("div", { className: "row" }, rename, remove));
  rename.addEventListener("click", () => {
    const input = el("input", { name: "name", value: p.name, maxLength: 64, required: true });
    input.setAttribute("aria-label", "New name of the passkey " + p.name);
    const save = el("button", { type: "submit", textContent: "Save" });
    const cancel = el("button", { type: "button", className: "secondary", textContent: "Cancel" });
    const form = el("form", { className: "row grow" }, input, save, cancel);
    li.replaceChildren(form);
    input.select();
    cancel.addEventListener("click", () => renderPasskeys());
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      await busy(save, async () => {
        try {
          await home.h.renamePasskey(p.id, input.value);
          await renderPasskeys();
        } catch (err) {
          show($("#passkeys-msg"), home.say(err));
        }
      });
    });
  });
  remove.addEventListener("click", async () => {
    const yes = await ask(`Remove the passkey “${p.name}”?`, "Remove", p.unlocks
      ? "It will no longer sign you in. But if you lost the device it is on, removing it is not enough: someone holding both that device and a copy of this server's data could still open your data. Then also choose “Change password…” and tick “I lost a device”, which replaces all your keys."
      : "It will no longer serve as your second step.");
    if (!yes) return;
    await busy(remove, async () => {
      try {
        await home.h.removePasskey(p.id);
        show($("#passkeys-msg"), `“${p.name}” removed.`, "ok");
        await renderPasskeys();
      } catch (err) {
        show($("#passkeys-msg"), home.say(err));
      }
    });
  });
  return li;
}
