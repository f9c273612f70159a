// Home's apps: the installed apps and the app store, installing an app
// (from the store, an archive or a folder) on the person's consent
// (spec/apps.md §3), and the consent step of connecting an app (spec/web.md
// §5). home is what these use of home.js: { h, say, view, signedIn,
// renderConnections, runReseal }.
import { $, ask, busy, el, show } from "./hearth-kit.js";

// originOf is an app's origin as people read it (notes.alice.localhost:8080):
// Home builds it, and it tells apart two apps of one name (spec/apps.md §3).
export function originOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

// showOrigin writes an app's origin into e, with places to break the line
// after its dots (a narrow column breaks it there, not inside a name).
export function showOrigin(e, url) {
  const parts = originOf(url).split(".");
  e.replaceChildren();
  parts.forEach((p, i) => e.append(i < parts.length - 1 ? p + "." : p, ...(i < parts.length - 1 ? [el("wbr")] : [])));
  return e;
}

function originLine(url) {
  return showOrigin(el("div", { className: "muted small origin" }), url);
}

// features lists the browser features an app asks for, in words with its
// reasons (spec/apps.md §1, "features"); every other one is denied to it.
function showFeatures(list, features) {
  list.replaceChildren(...(features || []).map((f) => el("li", {}, el("strong", { textContent: f.what }),
    el("span", { className: "muted", textContent: " — " + f.reason }))));
  list.hidden = !list.children.length;
  list.previousElementSibling.hidden = list.hidden;
}

export async function renderApps(home) {
  const { h, say } = home;
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
          if (!(await ask("Uninstall " + a.name + "?", "Uninstall", "It stops working at once, on every device, and the keys it held are replaced. Your data stays in your Hearth: install it again, or another app, to use it."))) return;
          try {
            await h.uninstallApp(a.slug);
            await Promise.all([renderApps(home), home.renderConnections()]);
            home.runReseal();
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
      b.addEventListener("click", () => busy(b, () => offerInstall(home, a.slug)));
      return row(a, b);
    }) : [el("li", { className: "muted small", textContent: "You have every app that comes with Hearth." })]));
  } catch (err) {
    list.replaceChildren(el("li", { textContent: say(err) }));
  }
}

// offerInstall shows what an app asks for (spec/apps.md §3) and installs
// it only on the person's click. source: a slug, an archive File, or a
// folder's Files.
async function offerInstall(home, source) {
  const { h, say, view } = home;
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
  // The same version again: a reinstall (the archive may differ), not an update.
  const same = offer.update && offer.from === offer.version;
  $("#install-title").textContent = offer.update
    ? (same ? "Reinstall " : offer.older ? "Go back to an older " : "Update ") + offer.name + "?"
    : "Install " + offer.name + "?";
  $("#install-about").textContent = [
    offer.update && offer.from && !same ? "Version " + offer.from + " → " + offer.version : "Version " + offer.version + (same ? ", installed already" : ""),
    offer.description].filter(Boolean).join(" · ");
  showOrigin($("#install-origin"), offer.url);
  const changes = offer.update && (offer.added.length || offer.removed.length);
  $("#install-changes").hidden = !changes;
  $("#install-added").replaceChildren(...offer.added.map((p) => el("li", {}, "Asks for the first time: ", el("strong", { textContent: p.what }))));
  $("#install-removed").replaceChildren(...offer.removed.map((p) => el("li", { className: "muted" }, "No longer asks: ", p.what)));
  $("#install-lead").textContent = offer.update && !same ? "After the update it will be able to:" : "It will be able to:";
  $("#install-scopes").replaceChildren(...offer.permissions.map(what));
  showFeatures($("#install-features"), offer.features);
  $("#install-allow").textContent = same ? "Reinstall" : offer.update ? "Update" : "Install";
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
    renderApps(home);
  };
}

export function bindInstall(home) {
  for (const id of ["#install-file", "#install-folder"]) {
    const input = $(id);
    input.addEventListener("change", () => {
      const files = Array.from(input.files || []);
      input.value = "";
      if (files.length) offerInstall(home, id === "#install-file" ? files[0] : files);
    });
  }
}

// fromApp reports whether this page was opened from the app at url (the
// app's request navigation sends its origin as the referrer; a link
// anyone made, elsewhere, does not).
export function fromApp(url) {
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
export function appName() {
  const app = new URLSearchParams(location.hash.slice("#connect?".length)).get("app");
  return { notes: "Notes", tasks: "Tasks", contacts: "Contacts", files: "Files" }[app] || "an app";
}

export async function connect(home) {
  const { h, say, view } = home;
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
    showOrigin($("#connect-origin"), offer.url);
    $("#connect-scopes").replaceChildren(...offer.scopes.map((s) =>
      el("li", { textContent: s.what })));
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
      home.signedIn();
    };
  } catch (err) {
    show(msg, say(err));
  }
}
