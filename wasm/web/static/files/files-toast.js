// A brief message at the foot of the Files page after a change the person
// made (renamed, moved, put in the trash, restored), with Undo where
// undoing is simple. It is a polite live region (role=status), so a
// screen reader says it, and it never takes the focus: the keyboard
// reaches its buttons after the page's. It goes after a few seconds,
// stays while the pointer or the focus is on it, and a new one takes its
// place. The undo helpers below give the change back: a move, to the
// folders the items came from; the trash, a restore.
import { $, el } from "./hearth-kit.js";

const SHOWN = 6000, WITH_UNDO = 10000, AFTER_LEAVING = 3000;
let timer = 0;

/**
 * toast shows words; with undo ({ label?, run: async () => words|"" }),
 * a button that runs it once and then says what run returned.
 */
export function toast(words, undo) {
  const box = $("#toast");
  clearTimeout(timer);
  const kids = [el("span", { className: "toast-text", textContent: words })];
  if (undo) {
    const b = el("button", { type: "button", className: "toast-undo", textContent: undo.label || "Undo" });
    b.addEventListener("click", async () => {
      b.disabled = true;
      const after = await undo.run();
      if (after) toast(after);
      else hide();
    });
    kids.push(b);
  }
  const close = el("button", { type: "button", className: "toast-close", textContent: "×", title: "Dismiss" });
  close.setAttribute("aria-label", "Dismiss");
  close.addEventListener("click", hide);
  kids.push(close);
  box.replaceChildren(el("div", { className: "toast-box" }, ...kids));
  box.classList.add("shown");
  later(undo ? WITH_UNDO : SHOWN);
}

function hide() {
  clearTimeout(timer);
  const box = $("#toast");
  box.classList.remove("shown");
  box.replaceChildren();
}

function later(ms) {
  clearTimeout(timer);
  timer = setTimeout(hide, ms);
}

/** wire keeps a toast up while the pointer or the focus is on it. */
export function wireToast() {
  const box = $("#toast");
  const stay = () => clearTimeout(timer);
  const go = () => { if (box.classList.contains("shown") && !box.contains(document.activeElement)) later(AFTER_LEAVING); };
  box.addEventListener("pointerenter", stay);
  box.addEventListener("focusin", stay);
  box.addEventListener("pointerleave", go);
  box.addEventListener("focusout", () => setTimeout(go, 0));
}

/**
 * Done says, in a toast, what a change of the page did, with Undo where
 * undoing is simple. how: { app, change(fn) → Promise<boolean> (runs a
 * change, says a failure, shows the tree after it; false if it failed),
 * nameOf(id), item(id) (as files-model.js fromTree reads it), placed(id)
 * → folder ids from the root down to the item's folder }.
 */
export class Done {
  constructor(how) { this.how = how; }

  /** what names the items ids: "“name”" or "3 items". */
  what(ids) { return ids.length === 1 ? "“" + this.how.nameOf(ids[0]) + "”" : ids.length + " items"; }

  renamed(id, was) {
    const { app, change, nameOf } = this.how;
    toast("Renamed to “" + nameOf(id) + "”", { run: async () => (await change(() => app.filesRename(id, was))) && "Renamed back to “" + was + "”" });
  }

  /** moved: from, a Map of id → the folder it was in ("" the root), before the move into folder to. */
  moved(from, to) {
    const { app, change, nameOf } = this.how;
    toast("Moved " + this.what([...from.keys()]) + " to “" + nameOf(to) + "”", { run: async () => (await change(() => moveBack(app, from))) && "Moved back" });
  }

  trashed(ids) {
    const { app, change } = this.how;
    toast(this.what(ids) + " moved to the trash", { run: async () => (await change(() => app.filesRestore(ids))) && "Back from the trash" });
  }

  /** before keeps what restored needs to know of items still in the trash. */
  before(ids) { return new Map(ids.map((id) => [id, { ...this.how.item(id) }])); }

  /** restored says where the items went (before: what before gave). */
  restored(ids, before) {
    const { nameOf, placed } = this.how;
    toast(restoredWords(ids, before, (id) => ({ name: nameOf(id), path: placed(id).map(nameOf) })));
  }
}

/**
 * moveBack moves each item back into the folder it came from: from, a
 * Map of id → folder ("" the root), as it was before the move.
 */
async function moveBack(app, from) {
  const into = new Map();
  for (const [id, folder] of from) {
    if (!into.has(folder)) into.set(folder, []);
    into.get(folder).push(id);
  }
  for (const [folder, ids] of into) await app.filesMove(ids, folder);
}

/**
 * restoredWords says where restored items went, once the tree shows
 * them: "Restored “report.pdf” to “Docs / Work”", and why when it is not
 * where they came from. before: id → { name, from, fromGone } as the
 * trash listed them; where(id) → { name, path } now (path: folder names
 * from the root).
 */
export function restoredWords(ids, before, where) {
  const shown = (names) => (names.length ? names.join(" / ") : "All files");
  const one = ids.length === 1;
  const paths = new Set(ids.map((id) => shown(where(id).path)));
  const parts = ["Restored " + (one ? "“" + where(ids[0]).name + "”" : ids.length + " items") + (paths.size === 1 ? " to “" + [...paths][0] + "”" : "")];
  for (const id of ids) {
    const b = before.get(id), now = where(id);
    if (!b) continue;
    if (b.fromGone && b.from.length && shown(now.path) === shown(b.from)) parts.push("“" + shown(b.from) + "” was made again");
    else if (b.fromGone && now.path.length === 0) parts.push("the folder " + (one ? "it" : "“" + b.name + "”") + " was in is gone");
    if (now.name !== b.name) parts.push("“" + b.name + "” is called “" + now.name + "” now: its name was taken there");
  }
  return [...new Set(parts)].join("; ") + ".";
}
