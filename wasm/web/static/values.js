// Reading documents other apps and clients wrote: any JSON value at all,
// or text that is not JSON (spec/apps.md §4.2). These helpers convert only
// primitive values and never call a value's own methods (an object's
// toString or valueOf, which a document may have set to anything), so
// that one malformed document cannot stop an app: the app shows what it
// can and flags what it cannot.

/** isObject reports whether v is a JSON object (not null, not an array). */
export const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * text returns v as text: a string as it is, a number or boolean in its
 * primitive form, anything else (an object, an array, null, absent) "".
 * @param {any} v
 * @returns {string}
 */
export function text(v) {
  switch (typeof v) {
    case "string": return v;
    case "number": return Number.isFinite(v) ? String(v) : "";
    case "boolean": return v ? "true" : "false";
    default: return "";
  }
}

/** num returns v when it is a finite number, else 0. */
export const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/**
 * time returns v when it is a time in milliseconds a Date can hold (an
 * `updated` or `created` member), else 0.
 */
export const time = (v) => (typeof v === "number" && Math.abs(v) <= 8.64e15 ? v : 0);

/**
 * notText reports whether v, in a member that holds text, is something no
 * text can stand for: an object or an array (null and absent are "none").
 */
export const notText = (v) => v !== null && typeof v === "object";

/**
 * notA says what a value that should be an object is instead, for a
 * flagged row: notA([], "a task") is "a list, not a task".
 * @param {any} v
 * @param {string} what
 */
export const notA = (v, what) => (Array.isArray(v) ? "a list" : v === null ? "null" : "a " + typeof v) + ", not " + what;

/** clip shortens text for a list: at most n characters (code points kept whole). */
export function clip(s, n) {
  if (s.length <= n) return s;
  const cut = s.slice(0, n);
  const last = cut.charCodeAt(cut.length - 1);
  return (last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut) + "…";
}

/**
 * flaggedRow makes the list row of a document an app cannot show: what it
 * is, why in a few words, and a button that deletes it (onDelete).
 * @param {string} what  "This note could not be shown"
 * @param {string} why   "its title is not text"
 * @param {() => void} onDelete
 */
export function flaggedRow(what, why, onDelete) {
  const li = document.createElement("li");
  li.className = "flagged";
  li.dataset.flagged = "true";
  const text = document.createElement("div");
  text.className = "grow";
  text.append(Object.assign(document.createElement("strong"), { textContent: what }),
    Object.assign(document.createElement("div"), { className: "muted small", textContent: "Malformed: " + why + "." }));
  const del = Object.assign(document.createElement("button"), { type: "button", className: "danger", textContent: "Delete" });
  del.dataset.deleteFlagged = "true";
  del.addEventListener("click", onDelete);
  li.append(text, del);
  return li;
}
