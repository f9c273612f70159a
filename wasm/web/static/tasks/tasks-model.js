// tasks-model.js — what Tasks reads in io.hearth.tasks documents, and how
// it orders them (spec/tasks.md). No DOM here: values in, values out.
import { isObject, notA, notText, text, time } from "./values.js";

export const DOCTYPE = "io.hearth.tasks";
/** The default list's key (spec/tasks.md §3): tasks without a list. */
export const DEFAULT_LIST = "";
export const DEFAULT_NAME = "My tasks";
/** The gap between orders a writer leaves (spec/tasks.md §4). */
export const STEP = 1024;

const finite = (v) => typeof v === "number" && Number.isFinite(v);

/**
 * day returns v when it is a calendar day written YYYY-MM-DD that exists
 * (not 2025-02-30), else "".
 * @param {any} v
 * @returns {string}
 */
export function day(v) {
  if (typeof v !== "string") return "";
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return "";
  const [y, mo, d] = [+m[1], +m[2], +m[3]];
  const at = new Date(Date.UTC(2000, mo - 1, d));
  at.setUTCFullYear(y);
  return at.getUTCFullYear() === y && at.getUTCMonth() === mo - 1 && at.getUTCDate() === d ? v : "";
}

/** dayOf is the calendar day of a Date in this browser's time zone, YYYY-MM-DD. */
export function dayOf(date) {
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return p(date.getFullYear(), 4) + "-" + p(date.getMonth() + 1) + "-" + p(date.getDate());
}

/** daysBetween is the number of days from day a to day b (both YYYY-MM-DD). */
export function daysBetween(a, b) {
  const ms = (s) => { const at = new Date(Date.UTC(2000, +s.slice(5, 7) - 1, +s.slice(8, 10))); at.setUTCFullYear(+s.slice(0, 4)); return at.getTime(); };
  return Math.round((ms(b) - ms(a)) / 86400000);
}

/**
 * read makes a stored value what Tasks shows (spec/tasks.md §2): a task
 * { kind: "task", raw, title, done, doneAt, created, list, due, order },
 * a list { kind: "list", raw, name, order }, { kind: "other" } (a kind of
 * a later version, left alone), or { bad: why, what } when it cannot be
 * shown. raw is the object to write back, changed, so that members this
 * version does not know are kept.
 * @param {any} v
 */
export function read(v) {
  try {
    if (typeof v === "string") return task({ title: v });
    if (!isObject(v)) return { bad: notA(v, "a task"), what: "task" };
    if (v.kind !== undefined && v.kind !== null && typeof v.kind !== "string") return { bad: "its kind is not text", what: "task" };
    const kind = v.kind || "task";
    if (kind === "list") {
      if (notText(v.name)) return { bad: "its name is not text", what: "list" };
      return { kind, raw: v, name: text(v.name), order: finite(v.order) ? v.order : time(v.created) };
    }
    if (kind !== "task") return { kind: "other" };
    if (notText(v.title)) return { bad: "its title is not text", what: "task" };
    return task(v);
  } catch {
    return { bad: "it cannot be read", what: "task" };
  }
}

function task(v) {
  const created = time(v.created);
  return {
    kind: "task", raw: v, title: text(v.title), done: v.done === true, doneAt: time(v.doneAt), created,
    list: typeof v.list === "string" ? v.list : DEFAULT_LIST, due: day(v.due),
    order: finite(v.order) ? v.order : -created,
  };
}

/**
 * byOrder sorts entries [id, task] as a list shows them: by order, then
 * the newest first, then by id (so that every device agrees).
 */
export const byOrder = (a, b) => (a[1].order - b[1].order) || (b[1].created - a[1].created) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** byDone sorts done tasks: the most recently checked off first. */
export const byDone = (a, b) => (b[1].doneAt - a[1].doneAt) || byOrder(a, b);

/**
 * between is the order of a task put between neighbours of orders a and b
 * (undefined: no neighbour there), or null when there is no room (the
 * writer numbers the list again, spec/tasks.md §4).
 * @param {number|undefined} a
 * @param {number|undefined} b
 * @returns {number|null}
 */
export function between(a, b) {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return b - STEP;
  if (b === undefined) return a + STEP;
  const m = a + (b - a) / 2;
  return m > a && m < b ? m : null;
}

/**
 * dueWords says when a task is due, for its row: "Today", "Tomorrow",
 * "Overdue · yesterday", "Overdue · Mon, Mar 3", or the date; overdue
 * (not for a task done) is said in words, not only by colour.
 * @param {string} due    YYYY-MM-DD
 * @param {string} today  YYYY-MM-DD
 * @param {boolean} done
 * @returns {{ text: string, overdue: boolean, soon: boolean }}
 */
export function dueWords(due, today, done) {
  const n = daysBetween(today, due);
  if (n === 0) return { text: "Today", overdue: false, soon: !done };
  if (n === 1) return { text: "Tomorrow", overdue: false, soon: false };
  if (n === -1 && !done) return { text: "Overdue · yesterday", overdue: true, soon: false };
  if (n < 0 && !done) return { text: "Overdue · " + dateWords(due, today), overdue: true, soon: false };
  return { text: n === -1 ? "Yesterday" : dateWords(due, today), overdue: false, soon: false };
}

/** dateWords writes a day in the person's language: "Fri, Mar 14" (with the year when not this one). */
export function dateWords(due, today) {
  const at = new Date(Date.UTC(2000, +due.slice(5, 7) - 1, +due.slice(8, 10)));
  at.setUTCFullYear(+due.slice(0, 4));
  const opts = { timeZone: "UTC", weekday: "short", month: "short", day: "numeric" };
  if (due.slice(0, 4) !== today.slice(0, 4)) opts.year = "numeric";
  try {
    return at.toLocaleDateString(undefined, opts);
  } catch {
    return due;
  }
}

/**
 * dueGroups groups open tasks by when they are due, for the "Due date"
 * sort: overdue, today, tomorrow, later (each by day, then order), and
 * those without a date (by order). Empty groups are left out.
 * @param {Array<[string, object]>} entries
 * @param {string} today
 * @returns {Array<{ key: string, name: string, entries: Array<[string, object]> }>}
 */
export function dueGroups(entries, today) {
  const groups = [
    { key: "overdue", name: "Overdue", entries: [] },
    { key: "today", name: "Today", entries: [] },
    { key: "tomorrow", name: "Tomorrow", entries: [] },
    { key: "later", name: "Later", entries: [] },
    { key: "none", name: "No due date", entries: [] },
  ];
  for (const e of entries) {
    const due = e[1].due;
    const n = due ? daysBetween(today, due) : null;
    groups[n === null ? 4 : n < 0 ? 0 : n === 0 ? 1 : n === 1 ? 2 : 3].entries.push(e);
  }
  const byDay = (a, b) => (a[1].due < b[1].due ? -1 : a[1].due > b[1].due ? 1 : byOrder(a, b));
  for (const g of groups) g.entries.sort(g.key === "none" ? byOrder : byDay);
  return groups.filter((g) => g.entries.length > 0);
}
