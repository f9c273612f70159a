// tasks-drag.js — reordering rows by dragging their handle (.handle), with
// a mouse, a pen or a finger: pointer events, the handle capturing the
// pointer. The row stays where it is in the document and its neighbours
// move around it (moving a node that holds the pointer capture would lose
// it), so the row follows the pointer from slot to slot; on release,
// onDrop(id, index) says where it went among the rows of its list, and
// the app saves it. A cancelled drag (pointercancel, the capture lost)
// calls onDrop(id, -1): the app draws the list again as it was.

const ROW = "li[data-id]:not([data-flagged])";
const EDGE = 48; // pixels from the window's edge where the page scrolls

/**
 * sortable makes the rows of the lists under root draggable by their
 * handles. onStart() runs when a drag starts (the app then holds off
 * drawing the list again until onDrop).
 * @param {HTMLElement} root
 * @param {{ onStart: () => void, onDrop: (id: string, index: number) => void }} how
 */
export function sortable(root, { onStart, onDrop }) {
  let drag = null; // { li, ul, handle, pointerId, from }

  const rows = (ul) => [...ul.children].filter((c) => c.matches(ROW));

  root.addEventListener("pointerdown", (e) => {
    const handle = e.target.closest(".handle");
    if (drag || !handle || !root.contains(handle) || e.button !== 0) return;
    const li = handle.closest(ROW);
    if (!li || !li.parentElement) return;
    e.preventDefault(); // no text selection, no scrolling (with touch-action: none)
    handle.focus({ preventScroll: true });
    handle.setPointerCapture(e.pointerId);
    drag = { li, ul: li.parentElement, handle, pointerId: e.pointerId, from: rows(li.parentElement).indexOf(li) };
    li.classList.add("dragging");
    drag.ul.classList.add("sorting");
    onStart();
  });

  root.addEventListener("pointermove", (e) => {
    if (!drag || e.pointerId !== drag.pointerId) return;
    e.preventDefault();
    const y = e.clientY;
    if (y < EDGE) scrollBy(0, -16);
    else if (y > innerHeight - EDGE) scrollBy(0, 16);
    // The slot: how many other rows have their middle above the pointer.
    const all = rows(drag.ul);
    let to = 0;
    for (const r of all) {
      if (r === drag.li) continue;
      const b = r.getBoundingClientRect();
      if (b.top + b.height / 2 < y) to++;
    }
    let at = all.indexOf(drag.li);
    while (at > to) { drag.ul.insertBefore(drag.li.previousElementSibling, drag.li.nextElementSibling); at--; }
    while (at < to) { drag.ul.insertBefore(drag.li.nextElementSibling, drag.li); at++; }
  });

  const end = (e, ok) => {
    if (!drag || e.pointerId !== drag.pointerId) return;
    const { li, ul, handle, from } = drag;
    drag = null;
    if (handle.hasPointerCapture(e.pointerId)) handle.releasePointerCapture(e.pointerId);
    li.classList.remove("dragging");
    ul.classList.remove("sorting");
    const to = rows(ul).indexOf(li);
    onDrop(li.dataset.id, ok && to !== from ? to : -1);
  };
  root.addEventListener("pointerup", (e) => end(e, true));
  root.addEventListener("pointercancel", (e) => end(e, false));
  root.addEventListener("lostpointercapture", (e) => end(e, false));
}
