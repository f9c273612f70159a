// hearth-kit.js — what Hearth's apps share (spec/apps.md §4.3): opening an
// app with its page header filled in, a few DOM helpers, error codes in
// words for people, and the loop that lists a doctype and keeps it live.
// An ES module beside hearth.js; Home, Notes, Contacts, Tasks and the
// example app (Bookmarks) use it, and any app may.
//
//   import { startApp, live, $, show, sayer, appWords } from "/hearth-kit.js";
//   const say = sayer(appWords);
//   const app = await startApp("bookmarks");
//   await live(app, "org.example.bookmarks", { keep, drop, draw,
//     onError: (err) => show($("#msg"), say(err)) });

import { Hearth } from "./hearth.js";

// ---- the DOM ----

/**
 * $ is the first element that matches a CSS selector, in root (default:
 * the page), or null.
 * @param {string} sel
 * @param {ParentNode} [root]
 * @returns {HTMLElement | null}
 */
export const $ = (sel, root = document) => root.querySelector(sel);

/**
 * el makes an element: its properties (className, textContent, value, …)
 * assigned, its children (nodes or text) appended. Text is never parsed
 * as HTML.
 * @param {string} tag
 * @param {object} [props]
 * @param {...(Node|string)} kids
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, ...kids) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
}

/**
 * show writes a message into a box of the page (an element of class
 * "message"): kind "error" (the default), "ok" or "warn" styles it; an
 * empty text hides the box.
 * @param {HTMLElement} box
 * @param {string} text
 * @param {string} [kind]
 */
export function show(box, text, kind = "error") {
  box.textContent = text;
  box.className = "message " + kind;
  box.hidden = !text;
}

/**
 * busy runs fn with button disabled, so that a second click does not run
 * it again, saying what it does meanwhile (working, or the button's
 * data-working: "Signing in…") when given, and resolves to what fn
 * resolves to.
 * @template T
 * @param {HTMLButtonElement} button
 * @param {() => Promise<T>} fn
 * @param {string} [working]
 * @returns {Promise<T>}
 */
export async function busy(button, fn, working = button.dataset.working || "") {
  const was = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  if (working) button.textContent = working;
  try { return await fn(); } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    if (working) button.textContent = was;
  }
}

/**
 * ask asks the person a yes-or-no question in the page, in a modal
 * <dialog> (not window.confirm, which stops the page and which a browser
 * may suppress), and resolves to true when they answer yes. Escape and
 * Cancel answer no; the focus goes back where it was.
 * @param {string} question  "Delete this note?"
 * @param {string} [yes]     the word of the yes button: "Delete"
 * @param {string} [detail]  a sentence under the question
 * @returns {Promise<boolean>}
 */
export function ask(question, yes = "Yes", detail = "") {
  const back = document.activeElement;
  return new Promise((resolve) => {
    const y = el("button", { type: "button", className: "danger", textContent: yes });
    y.dataset.askYes = "true";
    const n = el("button", { type: "button", className: "secondary", textContent: "Cancel" });
    const d = el("dialog", { className: "ask" }, el("p", { className: "question", textContent: question }),
      ...(detail ? [el("p", { className: "muted small", textContent: detail })] : []),
      el("div", { className: "row" }, y, n));
    d.setAttribute("aria-label", question);
    let answer = false;
    y.addEventListener("click", () => { answer = true; d.close(); });
    n.addEventListener("click", () => d.close());
    d.addEventListener("close", () => {
      d.remove();
      if (back && back.isConnected) back.focus();
      resolve(answer);
    });
    document.body.append(d);
    d.showModal();
    n.focus(); // the safe answer has the focus
  });
}

// ---- errors in words ----

/** The words of the error codes (spec/web.md §3) any page may meet. */
export const words = Object.freeze({
  integrity: "Integrity check failed: the server returned data that was altered or replayed. Nothing of it was used.",
  network: "The server cannot be reached.",
});

/** words, and those of the codes an app (openApp) meets. */
export const appWords = Object.freeze({
  ...words,
  session_ended: "This app's access ended. Open it again from Home.",
  halted: "Hearth stopped saving in this browser: nothing is saved until you decide what to do, in Home.",
  forbidden: "This app was not given access to that. What it may do is what you agreed to when you connected it (see Home).",
  bad_input: "This app asked Hearth for something it cannot do: the app has a bug.",
});

/**
 * sayer makes the function that puts an error into words: those its code
 * has in the tables (a later table's words win), else the error's own
 * message.
 *
 *   const say = sayer(appWords, { not_found: "This note no longer exists." });
 *   say(err) // → "This note no longer exists."
 * @param {...Object<string, string>} tables
 * @returns {(err: any) => string}
 */
export function sayer(...tables) {
  const all = Object.assign(Object.create(null), ...tables);
  return (err) => all[err && err.code] || (err && err.message) || String(err);
}

// ---- an app's page ----

/**
 * startApp opens the app of this origin (Hearth.openApp: it may navigate
 * to Home to connect, and come back), connects it again through Home when
 * its access ends (onsessionended), and fills in the page's header: the
 * account's name in #who and the link back to Home on #home-link.
 * @param {string} slug
 * @returns {Promise<Hearth>}
 */
export async function startApp(slug) {
  let app;
  try {
    app = await Hearth.openApp({ slug });
  } catch (err) {
    // Say it in the page, not only in the console: a person sees a page.
    const box = el("div", { className: "message error", role: "alert" },
      "This app could not start: " + ((err && err.message) || String(err)));
    document.body.prepend(box);
    throw err;
  }
  if (!app) return app;
  app.onsessionended = () => app.reconnect(); // uninstalled, updated, or signed out: connect again
  $("#who").textContent = app.user;
  $("#home-link").href = app.home;
  return app;
}

/**
 * live lists the documents of a doctype and keeps them live: keep(doc) is
 * called with each document listed ({ id, rev, value }), then draw();
 * then, from this tab's writes, other tabs' and other devices', for each
 * change ({ doctype, id, rev, deleted, value }) drop(id) when it deleted a
 * document and keep(change) otherwise, and redraw(change) (by default
 * draw) unless keep returned false (nothing new to show). keep reads the
 * value as data of any shape (values.js) and flags what it cannot show.
 * onError(err): the subscription stopped (integrity, session_ended).
 * A list that fails rejects with its error, and nothing is drawn or
 * followed; unless failed is given: then failed(err), and the documents
 * (none) are drawn and followed all the same.
 * @param {Hearth} app
 * @param {string} doctype
 * @param {{ keep: (doc: { id: string, rev: number, value: any }) => (boolean|void|any),
 *   drop: (id: string) => void, draw?: () => void, redraw?: (change: object) => void,
 *   onError?: (err: Error) => void, failed?: (err: Error) => void }} how
 * @returns {Promise<() => void>} stop following
 */
export async function live(app, doctype, { keep, drop, draw = () => {}, redraw = draw, onError, failed }) {
  // Following starts before the listing, so that no change made in
  // between is missed; a change older than what was listed (a lower
  // revision of the same document) is left out.
  const revs = new Map();
  const fresh = (d) => {
    if (d.rev < (revs.get(d.id) ?? 0)) return false;
    revs.set(d.id, d.rev);
    return true;
  };
  const apply = (ch) => {
    if (!fresh(ch)) return;
    if (ch.deleted) drop(ch.id);
    else if (keep(ch) === false) return;
    redraw(ch);
  };
  let early = []; // changes that came while listing
  const stop = app.subscribe([doctype], (ch) => (early ? early.push(ch) : apply(ch)), onError);
  try {
    for (const d of await app.list(doctype)) if (fresh(d)) keep(d);
  } catch (err) {
    if (!failed) {
      stop();
      throw err;
    }
    failed(err);
  }
  draw();
  const came = early;
  early = null;
  for (const ch of came) apply(ch);
  return stop;
}

/**
 * deleteMalformed deletes a document the app cannot show (a flagged row's
 * Delete, values.js), once the person confirms ("Delete this malformed
 * note? …"); then gone() forgets it and draws again. A failure, of either,
 * goes to fail.
 * @param {Hearth} app
 * @param {string} doctype
 * @param {string} id
 * @param {string} what  "note"
 * @param {() => void} gone
 * @param {(err: Error) => void} fail
 */
export async function deleteMalformed(app, doctype, id, what, gone, fail) {
  if (!(await ask("Delete this malformed " + what + "?", "Delete", "What it holds cannot be shown, and will be gone."))) return;
  try {
    await app.delete(doctype, id);
    gone();
  } catch (err) {
    fail(err);
  }
}

/**
 * openLinks calls open(id) for a link to one document, #open=<id> in the
 * page's address (Home's search links so), now and whenever the address
 * changes to one; the fragment is taken out of the address first.
 * @param {(id: string) => void} open
 */
export function openLinks(open) {
  const check = () => {
    if (!location.hash.startsWith("#open=")) return;
    let id = "";
    try { id = decodeURIComponent(location.hash.slice("#open=".length)); } catch { /* a malformed link */ }
    history.replaceState(null, "", location.pathname + location.search);
    open(id);
  };
  check();
  addEventListener("hashchange", check);
}
