// The Files page's dialogs: a name to type (new folder, rename), a folder
// to move to, a file's versions. Each is a modal <dialog> that gives the
// focus back where it was when it closes.
import { el } from "./hearth-kit.js";
import { bytes, when } from "./files-model.js";

/**
 * modal shows a <dialog> of body's nodes, titled, and resolves to what
 * finish(value) was called with, or null when it is cancelled (Escape,
 * Cancel). build(finish, dialog) returns the body's nodes.
 */
export function modal(title, build, cls = "") {
  const back = document.activeElement;
  return new Promise((resolve) => {
    let answer = null;
    const d = el("dialog", { className: "ask files-dialog " + cls });
    d.setAttribute("aria-label", title);
    const finish = (v) => { answer = v; d.close(); };
    d.append(el("h2", { className: "dialog-title", textContent: title }), ...build(finish, d));
    d.addEventListener("close", () => {
      d.remove();
      if (back && back.isConnected) back.focus();
      resolve(answer);
    });
    document.body.append(d);
    d.showModal();
  });
}

/**
 * askName asks for a name: check(name) returns "" or why it cannot be
 * (said in the dialog). Resolves to the name, or null.
 */
export function askName(title, initial, yes, check) {
  return modal(title, (finish) => {
    const input = el("input", { name: "name", value: initial, required: true, maxLength: 255, autocomplete: "off" });
    input.setAttribute("aria-label", "Name");
    const why = el("p", { className: "message error", role: "alert", hidden: true });
    const form = el("form", { method: "dialog", className: "name-form" }, input, why,
      el("div", { className: "row end" },
        el("button", { type: "submit", textContent: yes }),
        el("button", { type: "button", className: "secondary", textContent: "Cancel", onclick: () => finish(null) })));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const problem = check(input.value);
      if (problem) {
        why.textContent = problem;
        why.hidden = false;
        input.focus();
        return;
      }
      finish(input.value);
    });
    queueMicrotask(() => {
      input.focus();
      // The name without its extension is selected, as a file manager does.
      const dot = initial.lastIndexOf(".");
      input.setSelectionRange(0, dot > 0 ? dot : initial.length);
    });
    return [form];
  });
}

/**
 * askFolder asks where to move: tree's folders, but those refused (a
 * folder moved, and what is below it). Resolves to a folder id ("" the
 * root) or null.
 */
export function askFolder(title, tree, refused, nameOf, current) {
  return modal(title, (finish) => {
    const list = el("ul", { className: "folder-pick" });
    let chosen = current;
    const pick = (id, b) => {
      chosen = id;
      for (const x of list.querySelectorAll("button")) x.setAttribute("aria-pressed", String(x === b));
      go.disabled = id === current;
    };
    const row = (id, depth) => {
      const b = el("button", { type: "button", className: "folder-choice" },
        el("span", { className: "name", textContent: id ? nameOf(id) : "All files" }));
      b.style.paddingInlineStart = (0.6 + depth * 1.1) + "rem";
      b.dataset.folder = id;
      b.setAttribute("aria-pressed", String(id === current));
      b.disabled = refused(id);
      b.addEventListener("click", () => pick(id, b));
      b.addEventListener("dblclick", () => { if (!b.disabled) finish(id); });
      list.append(el("li", {}, b));
      const kids = tree.children(id).filter((k) => tree.items.get(k).kind === "folder" && !tree.inTrash(k))
        .sort((a, c) => nameOf(a).localeCompare(nameOf(c)));
      for (const k of kids) row(k, depth + 1);
    };
    row("", 0);
    const go = el("button", { type: "button", textContent: "Move here", disabled: true, onclick: () => finish(chosen) });
    go.dataset.moveHere = "true";
    return [list, el("div", { className: "row end" }, go,
      el("button", { type: "button", className: "secondary", textContent: "Cancel", onclick: () => finish(null) }))];
  });
}

/**
 * showVersions lists a file's earlier versions, newest first, each with
 * Restore; resolves to the index chosen, or null.
 */
export function showVersions(name, it, versions) {
  return modal("Versions of " + name, (finish) => {
    const cur = el("li", { className: "version current" },
      el("div", { className: "grow" }, el("strong", { textContent: "Current" }),
        el("div", { className: "muted small", textContent: bytes(it.length) + (it.mtime ? " · " + when(it.mtime) : "") })));
    const rows = versions.map((v, i) => {
      const b = el("button", { type: "button", className: "secondary", textContent: "Restore", onclick: () => finish(i) });
      b.dataset.restoreVersion = String(i);
      b.setAttribute("aria-label", "Restore the version replaced " + when(v.replaced));
      return el("li", { className: "version" },
        el("div", { className: "grow" }, el("strong", { textContent: v.replaced ? "Replaced " + when(v.replaced) : "Earlier version" }),
          el("div", { className: "muted small", textContent: bytes(v.length) + (v.mtime ? " · modified " + when(v.mtime) : "") })),
        b);
    });
    const none = versions.length ? [] : [el("p", { className: "muted small", textContent: "No earlier versions. Uploading a file of the same name into its folder keeps the one it replaces here." })];
    return [el("ul", { className: "list versions" }, cur, ...rows), ...none,
      el("div", { className: "row end" }, el("button", { type: "button", className: "secondary", textContent: "Close", onclick: () => finish(null) }))];
  }, "versions-dialog");
}
