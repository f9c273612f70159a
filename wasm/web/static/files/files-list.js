// The listing of a folder, windowed: only the rows in view, and a margin
// of rows above and below, are in the page; the others are drawn as they
// scroll into view (a folder of 10,000 files lists in a few milliseconds
// and scrolls as one of ten: BENCHMARKS.md, Issue 16 in the browser). The
// list (#items) is as high as all its rows; each row drawn is placed at
// its own position (list view: one a line; grid view: as many a line as
// fit), so rows drawn and not drawn scroll alike, and a row kept drawn out
// of view (the one with the focus, the one being dragged) does not move
// the others. Each row says where it is in the list (aria-posinset of
// aria-setsize), for screen readers, which see only the rows drawn.
//
// Sizes come from the style sheet: a list row's height is --row, a grid
// cell's --cell (height) and --cell-min (least width), with --gap between
// cells and --pad around them (files.css).

/** Rows drawn beyond those in view, each side. */
const MARGIN = 40;

export class RowWindow {
  /**
   * @param {HTMLElement} list  the list (#items), whose rows this draws
   * @param {(id: string) => HTMLElement} row  makes the row of an item
   * @param {() => string[]} keep  the items whose rows stay drawn out of view
   */
  constructor(list, row, keep) {
    this.list = list;
    this.row = row;
    this.keep = keep;
    this.ids = [];
    this.at = new Map();    // id → its index in ids
    this.drawn = new Map(); // id → its row, in the page
    this.from = 0;          // the rows [from, to) are drawn (and those kept)
    this.to = 0;
    this.geo = null;        // the geometry, measured (measure)
    this.frame = 0;
    this.width = 0;
    addEventListener("scroll", () => this.soon(), { passive: true });
    addEventListener("resize", () => this.soon());
    // A change of the list's width (a window resized, a scroll bar come)
    // moves a grid's cells: placed again.
    new ResizeObserver(() => {
      if (this.list.clientWidth === this.width) return;
      this.geo = null;
      for (const [id, li] of this.drawn) this.place(li, this.at.get(id));
      this.soon();
    }).observe(list);
  }

  /** set lists ids, in their order: every row is drawn anew. */
  set(ids) {
    this.ids = ids;
    this.at = new Map(ids.map((id, i) => [id, i]));
    this.geo = null;
    this.drawn.clear();
    this.list.replaceChildren();
    this.from = this.to = 0;
    this.update(true);
  }

  /** rowOf is the row of id if it is drawn, else null. */
  rowOf(id) {
    return this.drawn.get(id) || null;
  }

  /** show draws the row of id (one of ids) and scrolls it into view; it returns the row. */
  show(id) {
    const i = this.at.get(id);
    if (i === undefined) return null;
    if (!this.drawn.has(id)) {
      const g = this.geometry();
      const across = g.across;
      this.draw(Math.max(0, (Math.floor(i / across) - MARGIN) * across), Math.min(this.ids.length, (Math.floor(i / across) + MARGIN + 1) * across));
    }
    const li = this.drawn.get(id);
    li.scrollIntoView({ block: "nearest" });
    return li;
  }

  /** across is how many rows a line holds: 1 in the list view, the columns of the grid. */
  get across() {
    return this.geometry().across;
  }

  soon() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.update(false);
    });
  }

  /**
   * geometry measures the sizes the style sheet gives (a probe row of
   * the list's view), and how many cells a line of the grid holds.
   */
  geometry() {
    if (this.geo) return this.geo;
    const probe = document.createElement("li");
    probe.className = "item";
    probe.setAttribute("aria-hidden", "true");
    probe.style.cssText = "visibility:hidden;width:var(--cell-min,0px);height:var(--row,var(--cell));margin:var(--pad,0px) var(--gap,0px) 0 0";
    this.list.append(probe);
    const cs = getComputedStyle(probe);
    const h = parseFloat(cs.height) || 40, min = parseFloat(cs.width) || 0;
    const gap = parseFloat(cs.marginRight) || 0, pad = parseFloat(cs.marginTop) || 0;
    probe.remove();
    this.width = this.list.clientWidth;
    const grid = this.list.classList.contains("grid-view");
    const inner = Math.max(0, this.width - 2 * pad);
    const across = grid ? Math.max(1, Math.floor((inner + gap) / (min + gap))) : 1;
    const cellW = grid ? (inner - gap * (across - 1)) / across : this.width;
    const pitch = h + (grid ? gap : 0);
    this.geo = { grid, h, pad, gap, across, cellW, pitch };
    return this.geo;
  }

  /** place puts row li at index i. */
  place(li, i) {
    const g = this.geometry();
    const line = Math.floor(i / g.across), col = i % g.across;
    li.style.top = g.pad + line * g.pitch + "px";
    li.style.left = g.grid ? g.pad + col * (g.cellW + g.gap) + "px" : "0";
    li.style.width = g.grid ? g.cellW + "px" : "";
    li.setAttribute("aria-posinset", String(i + 1));
    li.setAttribute("aria-setsize", String(this.ids.length));
    li.classList.toggle("last", i === this.ids.length - 1);
  }

  /**
   * update draws the rows in view and the margin around them, unless
   * those drawn hold the rows in view with half a margin to spare (all:
   * draw them in any case).
   */
  update(all) {
    const g = this.geometry();
    const n = this.ids.length, lines = Math.ceil(n / g.across);
    this.list.style.height = (n ? 2 * g.pad + lines * g.pitch - (g.grid ? g.gap : 0) : 0) + "px";
    const top = this.list.getBoundingClientRect().top;
    const first = Math.max(0, Math.floor((-top - g.pad) / g.pitch));
    const last = Math.min(lines, Math.ceil((innerHeight - top - g.pad) / g.pitch));
    const from = Math.max(0, first - MARGIN) * g.across, to = Math.min(n, (last + MARGIN) * g.across);
    const slack = (MARGIN / 2) * g.across;
    if (!all && this.from <= Math.max(0, first * g.across - slack) && this.to >= Math.min(n, last * g.across + slack)) return;
    this.draw(from, to);
  }

  /** draw makes the rows [from, to) and those kept the ones in the page, leaving in place those already there. */
  draw(from, to) {
    this.from = from;
    this.to = to;
    const want = [];
    for (let i = from; i < to; i++) want.push(i);
    for (const id of this.keep()) {
      const i = this.at.get(id);
      if (i !== undefined && (i < from || i >= to)) want.push(i);
    }
    want.sort((a, b) => a - b);
    const wanted = new Set(want.map((i) => this.ids[i]));
    for (const [id, li] of this.drawn) {
      if (!wanted.has(id)) {
        li.remove();
        this.drawn.delete(id);
      }
    }
    // The rows stay in the order of the list (for the keyboard's Tab and
    // screen readers); those already in the page are not moved, so the
    // one with the focus keeps it.
    let next = this.list.firstElementChild;
    for (const i of want) {
      const id = this.ids[i];
      let li = this.drawn.get(id);
      if (li && li === next) {
        next = next.nextElementSibling;
        continue;
      }
      if (!li) {
        li = this.row(id);
        this.place(li, i);
        this.drawn.set(id, li);
      }
      this.list.insertBefore(li, next);
    }
  }
}
