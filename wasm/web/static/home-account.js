// Home's account pages (spec/web.md §5): the password rule said as one
// types, "Forgot your password?" with the recovery key, a password change,
// and the recovery key shown once with Copy, Download and a check that it
// was saved.
import { $, busy, el, show } from "./hearth-kit.js";

let home; // home.js's: { h, say, view, signedIn }

/** bindAccount wires the account pages; home gives home.js's handle and views. */
export function bindAccount(h0) {
  home = h0;
  for (const at of document.querySelectorAll("[data-new-password]")) newPasswordFields(at);
  strength($("#signup-form"), $("#signup-strength"), () => $("#signup-form").user.value.trim());
  strength($("#forgot-form"), $("#forgot-strength"), () => $("#forgot-form").user.value.trim());
  strength($("#password-form"), $("#password-strength"), () => home.h.user || "");

  $("#forgot").addEventListener("click", () => {
    const f = $("#forgot-form");
    if (!f.user.value) f.user.value = $("#signin-form").user.value.trim();
    show($("#forgot-msg"), "");
    home.view("forgot");
    (f.user.value ? f.key : f.user).focus();
  });
  $("#forgot-back").addEventListener("click", () => {
    home.view("signin");
    $("#signin-form").user.focus();
  });
  $("#forgot-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target, msg = $("#forgot-msg");
    show(msg, "");
    if (f.password.value !== f.password2.value) return show(msg, "The new passwords differ.");
    await busy(f.querySelector("button[type=submit]"), async () => {
      try {
        const { recoveryKey, warning } = await home.h.recover(f.user.value.trim(), f.key.value.trim(), f.password.value, f.totp.value.trim());
        f.reset();
        showRecoveryKey(recoveryKey, "Your new recovery key", () => home.signedIn());
        // The passkeys could not be given the new key: say so, once.
        if (warning) show($("#recovery-msg"), "Note: " + warning + ".");
      } catch (err) {
        show(msg, err.code === "bad_credentials"
          ? "This recovery key does not open this account: check the user name and the key (a used key is replaced by a new one)."
          : err.code === "bad_input" && /recovery key/.test(err.message)
            ? "That is not a valid recovery key: check it for typos, group by group."
            : home.say(err));
        if (err.code === "totp_required" || err.code === "totp_invalid" || err.code === "totp_replayed") f.totp.focus();
      }
    });
  });

  const passwordForm = (open) => {
    const f = $("#password-form");
    f.reset();
    f.password.dispatchEvent(new Event("input"));
    f.lost.dispatchEvent(new Event("change"));
    show($("#password-msg"), "");
    f.hidden = !open;
    $("#password-open").hidden = open;
    $("#password-open").setAttribute("aria-expanded", String(open));
    if (open) {
      show($("#password-done"), "");
      f.current.focus();
    } else $("#password-open").focus();
  };
  $("#password-open").addEventListener("click", () => passwordForm(true));
  $("#password-form").lost.addEventListener("change", (e) => {
    $("#password-lost-note").hidden = !e.target.checked;
    $("#password-form button[type=submit]").textContent = e.target.checked ? "Replace password and keys" : "Change password";
  });
  $("#password-cancel").addEventListener("click", () => passwordForm(false));
  $("#password-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target, msg = $("#password-msg");
    show(msg, "");
    if (f.password.value !== f.password2.value) return show(msg, "The new passwords differ.");
    await busy(f.querySelector("button[type=submit]"), async () => {
      try {
        if (f.lost.checked) {
          // A lost device: a new recovery key, and every key replaced.
          const { recoveryKey } = await home.h.secureAfterLoss(f.current.value, f.password.value);
          passwordForm(false);
          showRecoveryKey(recoveryKey, "Your new recovery key", () => {
            home.view("dashboard");
            show($("#password-done"), "Password, recovery key and the keys of your data replaced. Your other sessions were signed out; your data is being sealed again with the new keys.", "ok");
            home.renderSessions();
            home.renderPasskeys();
            home.runReseal();
          });
          return;
        }
        await home.h.changePassword(f.current.value, f.password.value);
        passwordForm(false);
        show($("#password-done"), "Password changed. Your other sessions were signed out; your recovery key is the same.", "ok");
        home.renderSessions();
      } catch (err) {
        show(msg, err.code === "bad_credentials" ? "The current password is not right." : home.say(err));
        (err.code === "bad_credentials" ? f.current : f.password).focus();
      }
    });
  });

  keepable($("#recovery-key"), () => $("#recovery-key").textContent, $("#recovery-copy"), $("#recovery-download"), $("#recovery-copied"), "hearth-recovery-key.txt",
    (key) => `Hearth recovery key for ${home.h.user || "your account"} at ${location.origin}\n\n${key}\n\n` +
      "It lets whoever holds it choose a new password for this account: keep it somewhere safe, offline.\n");
  keepable($("#totp-codes"), () => [...$("#totp-codes").children].map((c) => c.textContent).join(" "), $("#totp-copy"), $("#totp-download"), $("#totp-copied"), "hearth-2fa-recovery-codes.txt",
    (codes) => `Hearth two-factor recovery codes for ${home.h.user || "your account"} at ${location.origin}\n\n` +
      codes.split(/\s+/).filter(Boolean).join("\n") + "\n\nEach works once, in place of an authenticator code.\n");
}

// keepable wires Copy and Download for a secret shown once in box (text
// reads it): Copy puts it on the clipboard, or selects it where there is
// none; Download saves what file(text) gives, as name. said tells which.
function keepable(box, text, copy, download, said, name, file) {
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text());
      said.textContent = "Copied.";
    } catch {
      // No clipboard here (an insecure origin, or refused): select it.
      getSelection().selectAllChildren(box);
      said.textContent = "Selected: copy it with your keyboard.";
    }
  });
  download.addEventListener("click", () => {
    const a = el("a", { href: URL.createObjectURL(new Blob([file(text())], { type: "text/plain" })), download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  });
}

/**
 * showRecoveryKey shows key once, in groups that never break inside, and
 * goes on (then) only once the person typed its last group.
 */
export function showRecoveryKey(key, title, then) {
  $("#recovery-title").textContent = title;
  const groups = key.split("-");
  $("#recovery-key").replaceChildren(...groups.map((g, i) => el("span", {}, i < groups.length - 1 ? g + "-" : g)));
  $("#recovery-copied").textContent = "";
  const f = $("#recovery-confirm"), msg = $("#recovery-msg");
  f.reset();
  show(msg, "");
  f.onsubmit = (e) => {
    e.preventDefault();
    if (f.last.value.trim().toUpperCase() !== groups[groups.length - 1].toUpperCase()) {
      show(msg, "That is not the key's last group: look at the five characters at its end.");
      f.last.focus();
      return;
    }
    $("#recovery-key").replaceChildren(); // not kept in the page
    then();
  };
  home.view("recovery");
}

// newPasswordFields puts the fields of a new password where a form has
// <div data-new-password="PREFIX" data-label="LABEL">: the password (name
// password), what the rule thinks of it (#PREFIX-strength), and the
// password again (name password2).
function newPasswordFields(at) {
  const id = at.dataset.newPassword + "-strength", label = at.dataset.label;
  const input = (name, describedBy) => {
    const i = el("input", { name, type: "password", autocomplete: "new-password", required: true });
    if (describedBy) {
      i.minLength = 10;
      i.setAttribute("aria-describedby", describedBy);
    }
    return i;
  };
  const hint = el("p", { className: "strength muted small", id },
    "At least 10 characters, not easy to guess: a few uncommon words together make a good one.");
  hint.setAttribute("aria-live", "polite");
  at.replaceWith(el("label", {}, label + " ", input("password", id)), hint, el("label", {}, label + " again ", input("password2")));
}

// strength says, as a new password is typed into form's password field,
// what the password rule thinks of it (protocol §3.5: the same rule as
// sign-up, a change and a recovery apply).
function strength(form, line, user) {
  const first = line.textContent;
  let timer = 0, asked = 0;
  form.password.addEventListener("input", () => {
    clearTimeout(timer);
    const pw = form.password.value;
    asked++; // an answer to an earlier input is not shown
    if (!pw) {
      line.textContent = first;
      line.className = "strength muted small";
      return;
    }
    timer = setTimeout(async () => {
      const n = ++asked;
      const r = await home.h.checkPassword(user() || "user", pw).catch(() => null);
      if (n !== asked || !r) return; // a later check, or none to give
      line.textContent = r.ok ? "Strong enough." : "Too weak: " + r.reason + ".";
      line.className = "strength small " + (r.ok ? "good" : "weak");
    }, 250);
  });
}
