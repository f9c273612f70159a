// The mention picker of Notes: a button that opens a searchable list of
// the contacts (an ARIA combobox: a text box that filters a listbox).
// Typing filters, whatever the case and accents ("zoe" finds "Zoë");
// the arrow keys move through the list, Enter picks (the first match
// when none is chosen yet), Escape closes, and a click picks too.

/** fold is text compared without case or accents: "Zoë" → "zoe". */
export const fold = (s) => s.normalize("NFD").replace(/\p{M}/gu, "").toLocaleLowerCase();

// How many names the list shows at most: typing narrows it down.
const SHOWN = 100;

/**
 * mentionPicker wires the picker in root: its #mention-open button, its
 * #mention-popup with the #mention-input combobox, the #mention-list
 * listbox and the #mention-none line. people() gives the names, [[id,
 * name], …], sorted; pick(id, name) is called with the one picked, after
 * the picker closed (Escape closes it without a pick, the focus back on
 * the button).
 * @param {HTMLElement} root
 * @param {{ people: () => Array<[string, string]>, pick: (id: string, name: string) => void }} how
 * @returns {{ refresh: () => void, open: () => void, close: () => void }}
 */
export function mentionPicker(root, { people, pick }) {
  const q = (sel) => root.querySelector(sel);
  const button = q("#mention-open"), popup = q("#mention-popup"), input = q("#mention-input");
  const list = q("#mention-list"), none = q("#mention-none");
  let shown = [];   // [[id, name]] listed now
  let active = -1;  // index of the option chosen with the keys, or -1

  function render() {
    const want = fold(input.value.trim());
    const all = people();
    const starts = [], within = [];
    for (const p of all) {
      const f = fold(p[1]);
      if (!want || f.startsWith(want)) starts.push(p);
      else if (f.includes(want)) within.push(p);
    }
    const matches = starts.concat(within);
    shown = matches.slice(0, SHOWN);
    active = Math.min(active, shown.length - 1);
    list.replaceChildren(...shown.map(([id, name], i) => {
      const li = document.createElement("li");
      li.id = "mention-opt-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(i === active));
      li.dataset.contact = id;
      li.title = name;
      const span = document.createElement("span"); // clamped to two lines (notes.css)
      span.textContent = name;
      li.append(span);
      return li;
    }));
    if (matches.length > SHOWN) {
      const more = document.createElement("li");
      more.className = "more";
      more.setAttribute("role", "presentation");
      more.textContent = (matches.length - SHOWN) + " more: type to narrow the list";
      list.append(more);
    }
    none.hidden = shown.length > 0;
    none.textContent = all.length ? "No contacts match" : "No contacts yet";
    list.hidden = shown.length === 0;
    mark();
  }

  // mark shows which option the keys chose, and keeps it in view.
  function mark() {
    for (const li of list.querySelectorAll("[role=option]")) {
      li.setAttribute("aria-selected", String(li.id === "mention-opt-" + active));
    }
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", "mention-opt-" + active);
      const li = list.querySelector("#mention-opt-" + active);
      if (li) li.scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  const isOpen = () => !popup.hidden;

  function open() {
    input.value = "";
    active = -1;
    popup.hidden = false;
    button.setAttribute("aria-expanded", "true");
    input.setAttribute("aria-expanded", "true");
    render();
    input.focus();
  }

  function close(focusButton = false) {
    if (!isOpen()) return;
    popup.hidden = true;
    button.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    if (focusButton) button.focus();
  }

  function choose(i) {
    const p = shown[i];
    if (!p) return;
    close();
    pick(p[0], p[1]);
  }

  button.addEventListener("click", () => (isOpen() ? close(true) : open()));
  input.addEventListener("input", () => { active = -1; render(); });
  input.addEventListener("keydown", (e) => {
    const n = shown.length;
    switch (e.key) {
      case "ArrowDown":
        if (n) active = (active + 1) % n;
        break;
      case "ArrowUp":
        if (n) active = active <= 0 ? n - 1 : active - 1;
        break;
      case "Home":
      case "PageUp":
        if (n) active = 0;
        break;
      case "End":
      case "PageDown":
        if (n) active = n - 1;
        break;
      case "Enter":
        choose(active >= 0 ? active : 0);
        break;
      case "Escape":
        close(true);
        break;
      case "Tab":
        close();
        return;
      default:
        return;
    }
    e.preventDefault();
    mark();
  });
  // A click picks; the text box keeps the focus until then.
  list.addEventListener("mousedown", (e) => e.preventDefault());
  list.addEventListener("click", (e) => {
    const li = e.target.closest("[role=option]");
    if (li) choose(Number(li.id.slice("mention-opt-".length)));
  });
  // A click elsewhere closes it.
  document.addEventListener("pointerdown", (e) => {
    if (isOpen() && !root.contains(e.target)) close();
  });
  render();
  return { refresh: render, open, close };
}
