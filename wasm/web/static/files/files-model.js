// The files and folders (spec/protocol.md §6.3) as the page holds them:
// the items of filesTree, the tree built from their parents (which the
// client resolved already; built again here without ever looping), the
// trash, folder sizes, and the orders of a listing.
export const DOCTYPE = "io.hearth.files";

/** secs reads an ISO time of the client's answers as Unix seconds (0: none). */
export const secs = (iso) => (typeof iso === "string" ? Math.floor(Date.parse(iso) / 1000) || 0 : 0);

/** fromVersion reads a version of filesVersions: {length, mtime, replaced} in Unix seconds. */
export const fromVersion = (v) => ({ length: Number(v.length) || 0, mtime: secs(v.modified), replaced: secs(v.replaced) });

/**
 * fromTree reads an item of filesTree (spec/web.md §3.5) as the page keeps
 * it: times in Unix seconds, old set for a file of the old format whose
 * name is not known yet (shown by its id).
 */
export function fromTree(it) {
  return {
    kind: it.kind === "folder" ? "folder" : "file", name: typeof it.name === "string" ? it.name : "",
    parent: typeof it.parent === "string" ? it.parent : "", type: typeof it.type === "string" ? it.type : "",
    length: Math.max(0, Number(it.length) || 0), mtime: secs(it.modified), trashed: secs(it.trashed),
    versions: Number(it.versions) || 0, old: !it.name,
    from: Array.isArray(it.from) ? it.from.filter((n) => typeof n === "string") : [], fromGone: it.fromGone === true,
  };
}

/**
 * fromWords says where an item the person put in the trash came from:
 * "from Docs / Work" (its folder's path now), or, that folder gone, the
 * path it had (made again by a restore), or that it is not known (a
 * restore puts the item in All files).
 */
export function fromWords(it) {
  const path = it.from.length ? it.from.join(" / ") : "All files";
  if (!it.fromGone) return "from " + path;
  return it.from.length ? "from " + path + " (gone: a restore makes it again)" : "from a folder that is gone";
}

/** goodName is the name rule of §6.1: 1 to 255 bytes, no / \ or control character, not . or .. */
export function goodName(n) {
  if (!n || n === "." || n === ".." || new TextEncoder().encode(n).length > 255) return false;
  return !/[/\\\u0000-\u001f\u007f-\u009f]/.test(n);
}

/**
 * cleanName makes a name of what a person typed or a browser gave: the
 * characters the rule refuses replaced, cut at 255 bytes; "" if nothing is left.
 */
export function cleanName(n) {
  n = String(n).replace(/[/\\\u0000-\u001f\u007f-\u009f]/g, "_").trim();
  const enc = new TextEncoder();
  while (enc.encode(n).length > 255) n = [...n].slice(0, -1).join("");
  return n === "." || n === ".." ? "" : n;
}

/**
 * Tree is the live items, placed: parentOf (a live folder, or "" for the
 * root: a parent missing, not a folder, or a cycle puts an item at the
 * root), children, the trash and folder sizes.
 */
export class Tree {
  /** @param {Map<string, any>} items  id → read(value) */
  constructor(items) {
    this.items = items;
    this.parent = new Map();
    this.kids = new Map([["", []]]);
    this.trash = new Map(); // id → in the trash (it, or a folder above it)
    this.sizes = new Map(); // folder id → bytes below it, not in the trash
    const folder = (id) => items.get(id)?.kind === "folder";
    // Resolve each item's parent in one pass that marks what it visits
    // (0: not yet, 1: on the path being walked, 2: placed).
    const state = new Map();
    for (const id of items.keys()) {
      if (state.get(id) === 2) continue;
      const path = [];
      let at = id;
      for (;;) {
        state.set(at, 1);
        path.push(at);
        const p = items.get(at).parent;
        if (!p || !folder(p) || state.get(p) === 2) break;
        if (state.get(p) === 1) {
          // A cycle: from p to the end of the path. It breaks at its smallest id.
          const cyc = path.slice(path.indexOf(p));
          const least = cyc.reduce((a, b) => (a < b ? a : b));
          this.parent.set(least, "");
          state.set(least, 2);
          break;
        }
        at = p;
      }
      for (const x of path) {
        if (!this.parent.has(x)) {
          const p = items.get(x).parent;
          this.parent.set(x, p && folder(p) && p !== x ? p : "");
        }
        state.set(x, 2);
      }
    }
    for (const [id, it] of items) {
      if (it.kind !== "file" && it.kind !== "folder") continue;
      const p = this.parent.get(id) || "";
      if (!this.kids.has(p)) this.kids.set(p, []);
      this.kids.get(p).push(id);
    }
    for (const id of items.keys()) this.inTrash(id);
    this.trashSizes = new Map(); // folder id → bytes below it, in the trash or not (a folder in the trash shows that)
    for (const [id, it] of items) {
      if (it.kind !== "file") continue;
      const out = !this.trash.get(id);
      for (let p = this.parent.get(id); p; p = this.parent.get(p)) {
        this.trashSizes.set(p, (this.trashSizes.get(p) || 0) + it.length);
        if (out) this.sizes.set(p, (this.sizes.get(p) || 0) + it.length);
      }
    }
  }

  /** inTrash reports whether id is in the trash: marked, or below a marked folder. */
  inTrash(id) {
    if (this.trash.has(id)) return this.trash.get(id);
    const chain = [];
    let at = id, t = false;
    while (at && !this.trash.has(at)) {
      chain.push(at);
      if (this.items.get(at)?.trashed) { t = true; break; }
      at = this.parent.get(at) || "";
    }
    if (!t && at && this.trash.has(at)) t = this.trash.get(at);
    for (const x of chain) this.trash.set(x, t);
    return t;
  }

  /** children is the items directly in folder ("" the root), trash or not. */
  children(folder) { return this.kids.get(folder) || []; }

  /** path is the folders from the root down to id, id included: [id…]. */
  path(id) {
    const out = [];
    for (let at = id; at; at = this.parent.get(at) || "") out.unshift(at);
    return out;
  }

  /** below reports whether id is folder or inside it. */
  below(id, folder) {
    for (let at = id; at; at = this.parent.get(at) || "") if (at === folder) return true;
    return false;
  }

  /** descendants is every item below folder, depth first, folders before their contents. */
  descendants(folder) {
    const out = [];
    const walk = (f) => { for (const k of this.children(f)) { out.push(k); if (this.items.get(k).kind === "folder") walk(k); } };
    walk(folder);
    return out;
  }

  /** size is a file's length or a folder's size. */
  size(id) {
    const it = this.items.get(id);
    if (it.kind !== "folder") return it.length;
    return (this.inTrash(id) ? this.trashSizes.get(id) : this.sizes.get(id)) || 0;
  }
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/**
 * sorter orders ids of tree: folders first, then by "name", "date" or
 * "size", ascending unless desc; ties by name then id.
 */
export function sorter(tree, by, desc, nameOf) {
  const dir = desc ? -1 : 1;
  return (a, b) => {
    const x = tree.items.get(a), y = tree.items.get(b);
    if (x.kind !== y.kind) return x.kind === "folder" ? -1 : 1;
    let c = 0;
    if (by === "date") c = x.mtime - y.mtime;
    else if (by === "size") c = tree.size(a) - tree.size(b);
    if (c === 0) c = collator.compare(nameOf(a), nameOf(b));
    if (c === 0) c = a < b ? -1 : a > b ? 1 : 0;
    return c * dir;
  };
}

/** bytes says a size for people: "2.4 MB". */
export function bytes(n) {
  if (n < 1000) return n + (n === 1 ? " byte" : " bytes");
  const units = ["kB", "MB", "GB", "TB"];
  let u = -1;
  do { n /= 1000; u++; } while (n >= 999.5 && u < units.length - 1);
  return (n < 10 ? n.toFixed(1) : Math.round(n)) + " " + units[u];
}

/** when says a Unix time for people, or "" for none. */
export function when(s) {
  if (!s) return "";
  const d = new Date(s * 1000), now = new Date();
  if (d.toDateString() === now.toDateString()) return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** kindOf names what a file is from its type and name, for its icon and preview. */
export function kindOf(type, name) {
  const ext = (name.match(/\.([^.]+)$/) || ["", ""])[1].toLowerCase();
  if (type.startsWith("image/") || ["jpg", "jpeg", "png", "gif", "webp", "avif", "svg", "bmp", "ico"].includes(ext)) return "image";
  if (type.startsWith("video/") || ["mp4", "webm", "mov", "mkv", "ogv"].includes(ext)) return "video";
  if (type.startsWith("audio/") || ["mp3", "ogg", "oga", "wav", "flac", "m4a", "opus"].includes(ext)) return "audio";
  if (type === "application/pdf" || ext === "pdf") return "pdf";
  if (type === "text/markdown" || ["md", "markdown"].includes(ext)) return "markdown";
  if (type.startsWith("text/") || ["txt", "log", "csv", "json", "xml", "yaml", "yml", "toml", "ini", "go", "js", "ts", "py", "rs", "c", "h", "sh", "css", "html"].includes(ext)
    || type === "application/json") return "text";
  if (["zip", "gz", "tgz", "xz", "7z", "rar", "tar", "zst"].includes(ext)) return "archive";
  return "file";
}

const SVG = "http://www.w3.org/2000/svg";
const icons = {
  folder: "M3 6h6l2 2h10v11H3z",
  file: "M6 3h9l4 4v14H6zM14 3v5h5",
  image: "M4 4h16v16H4zM4 16l5-5 4 4 2-2 5 5M15 9.5a1.5 1.5 0 1 0 0-.01",
  video: "M3 6h13v12H3zM16 10l5-3v10l-5-3",
  audio: "M9 18V5l11-2v13M9 18a3 3 0 1 1-3-3 3 3 0 0 1 3 3zM20 16a3 3 0 1 1-3-3 3 3 0 0 1 3 3z",
  pdf: "M6 3h9l4 4v14H6zM14 3v5h5M9 13h6M9 17h4",
  text: "M6 3h9l4 4v14H6zM14 3v5h5M9 12h7M9 16h5",
  markdown: "M6 3h9l4 4v14H6zM14 3v5h5M9 12h7M9 16h5",
  archive: "M6 3h12v18H6zM11 3v2h2v2h-2v2h2v2h-2",
  prev: "M15 5l-7 7 7 7",
  next: "M9 5l7 7-7 7",
};

/** icon is an SVG icon (aria-hidden) of a kind of item, or prev/next. */
export function icon(name) {
  const s = document.createElementNS(SVG, "svg");
  s.setAttribute("viewBox", "0 0 24 24");
  s.setAttribute("aria-hidden", "true");
  s.setAttribute("focusable", "false");
  const p = document.createElementNS(SVG, "path");
  p.setAttribute("d", icons[name] || icons.file);
  s.append(p);
  return s;
}
