// What the page changes in the files' documents (spec/protocol.md §6.3),
// written through the document methods every app has (put, create,
// delete, upload): each change keeps the members it does not know of the
// value it read. One place, so that the files methods of the worker can
// take over each operation (with If-Match and blob deletion) when they
// come.
import { DOCTYPE } from "./files-model.js";

const now = () => Math.floor(Date.now() / 1000);

export class Ops {
  /**
   * @param {any} h       the app's Hearth handle
   * @param {Map<string, {rev: number, value: any}>} raw  the documents as listed
   */
  constructor(h, raw, wrote = () => {}) {
    this.h = h;
    this.raw = raw;
    /** wrote(doc) is told of each document written here, before the feed brings it back */
    this.wrote = wrote;
    /** ids of documents an upload made that are being turned into their final form (not shown) */
    this.adopting = new Set();
  }

  value(id) {
    const d = this.raw.get(id);
    if (!d) throw Object.assign(new Error("That item no longer exists."), { code: "not_found" });
    return d.value;
  }

  async put(id, value) {
    const r = await this.h.put(DOCTYPE, id, value);
    this.raw.set(id, { rev: r.rev, value });
    this.wrote({ id, rev: r.rev, value });
    return r;
  }

  /** mkdir makes a folder in parent ("" the root) and resolves to its id. */
  async mkdir(name, parent) {
    const value = { kind: "folder", name, parent, mtime: now() };
    const r = await this.h.create(DOCTYPE, value);
    this.raw.set(r.id, { rev: r.rev, value });
    this.wrote({ id: r.id, rev: r.rev, value });
    return r.id;
  }

  rename(id, name) { return this.put(id, { ...this.value(id), name }); }

  move(id, parent) { return this.put(id, { ...this.value(id), parent }); }

  trash(id) { return this.put(id, { ...this.value(id), trashed: now() }); }

  /** restore takes id out of the trash, to the root when its folder is gone or in the trash (parentOK false). */
  restore(id, parentOK) {
    const v = { ...this.value(id) };
    delete v.trashed;
    if (!parentOK) v.parent = "";
    return this.put(id, v);
  }

  /**
   * remove deletes items for good (emptying the trash): files first, then
   * folders from the deepest (ids in that order).
   */
  async remove(ids) {
    for (const id of ids) {
      await this.h.delete(DOCTYPE, id);
      this.raw.delete(id);
      this.wrote({ id, deleted: true });
    }
  }

  /** keep is how many earlier versions of a file to keep (the settings document, default 10). */
  keep() {
    const s = this.raw.get("settings")?.value;
    const n = s && s.kind === "settings" && Number.isInteger(s.versions) ? s.versions : 10;
    return Math.min(100, Math.max(0, n));
  }

  /**
   * upload seals and uploads file into parent under name, as a new file,
   * or as the new version of the file existing (an id) when given.
   * Resolves to the file's id.
   */
  async upload(file, name, parent, existing, onProgress, signal) {
    const { id } = await this.h.upload(file, onProgress, { signal });
    this.adopting.add(id);
    try {
      const got = (await this.h.get(DOCTYPE, id)).value;
      const content = { blob: got.blob, digest: got.digest, size: got.size, length: file.size,
        type: file.type || "", mtime: Math.floor((file.lastModified || Date.now()) / 1000) };
      if (!existing || !this.raw.has(existing)) {
        await this.put(id, { kind: "file", name, parent, ...content });
        return id;
      }
      const cur = this.value(existing);
      const versions = [version(cur), ...(Array.isArray(cur.versions) ? cur.versions : [])].slice(0, this.keep());
      await this.put(existing, { ...cur, ...content, versions });
      await this.h.delete(DOCTYPE, id); // its blob is the file's now
      this.raw.delete(id);
      this.wrote({ id, deleted: true });
      return existing;
    } finally {
      this.adopting.delete(id);
    }
  }

  /** restoreVersion makes version i of file id its content; the content it had becomes a version. */
  restoreVersion(id, i) {
    const cur = this.value(id);
    const vs = Array.isArray(cur.versions) ? cur.versions : [];
    const v = vs[i];
    if (!v) throw Object.assign(new Error("That version no longer exists."), { code: "not_found" });
    const rest = [version(cur), ...vs.filter((_, j) => j !== i)].slice(0, this.keep());
    return this.put(id, { ...cur, blob: v.blob, digest: v.digest, size: v.size, length: v.length, mtime: v.mtime, versions: rest });
  }
}

function version(cur) {
  return { blob: cur.blob, digest: cur.digest, size: cur.size, length: cur.length, mtime: cur.mtime, replaced: now() };
}
