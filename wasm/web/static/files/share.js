// Files: share links and file requests (spec/protocol.md §4.5, §8.12;
// spec/web.md §7.5). The Share dialog of a file or folder (expiry, max
// opens, an optional password, a label for whom; the link made, with
// Copy; the item's links with their opens, last use, expiry, and Revoke),
// the "Shared" mark on shared items, the Links view (every link), the
// Request files dialog of a folder (a drop link), and the files dropped
// for you: adopted automatically when the app opens and when the page
// comes back into view, then listed with where they went.
import { $, ask, busy, el, show } from "./hearth-kit.js";
import { modal } from "./files-dialogs.js";
import { secs, when } from "./files-model.js";

const DAY = 86400;
const EXPIRIES = [[DAY, "1 day"], [7 * DAY, "7 days"], [30 * DAY, "30 days"], [365 * DAY, "1 year"]];


/** stateOf says whether a link still works: "active", "revoked", "expired" or "used up". */
export function stateOf(l, now = Date.now() / 1000) {
  if (l.revoked) return "revoked";
  if (secs(l.expires) && secs(l.expires) <= now) return "expired";
  if (l.kind === "share" && l.maxOpens && l.opens >= l.maxOpens) return "used up";
  return "active";
}

/** copyText puts text on the clipboard, with the selection of input as the fallback. */
async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input.focus();
    input.select();
    return document.execCommand && document.execCommand("copy");
  }
}

/** urlBox is the link made: a read-only field and Copy. */
function urlBox(url, what) {
  const input = el("input", { value: url, readOnly: true, className: "link-url" });
  input.setAttribute("aria-label", what);
  input.addEventListener("focus", () => input.select());
  const done = el("span", { className: "muted small copied", role: "status" });
  const copy = el("button", { type: "button", className: "secondary", textContent: "Copy" });
  copy.dataset.copy = "true";
  copy.addEventListener("click", async () => {
    done.textContent = (await copyText(url, input)) ? "Copied" : "Select the link and copy it";
  });
  return el("div", { className: "link-made" }, el("div", { className: "link-row" }, input, copy), done);
}

function field(label, input, hint = "") {
  const id = "f-" + Math.random().toString(36).slice(2);
  input.id = id;
  return el("div", { className: "field" }, el("label", { htmlFor: id, textContent: label }), input,
    ...(hint ? [el("div", { className: "muted small", textContent: hint })] : []));
}

function expirySelect() {
  const s = el("select", { name: "expires" });
  for (const [v, words] of EXPIRIES) s.append(el("option", { value: String(v), textContent: words, selected: v === 7 * DAY }));
  return s;
}

/** Shares keeps the account's links and draws what the Files page shows of them. */
export class Shares {
  /**
   * @param {{app: object, nameOf: (id: string) => string, isFolder: (id: string) => boolean,
   *          redraw: () => void, changed: () => Promise<void>, announce: (w: string) => void, fail: (e: any) => void}} o
   */
  constructor(o) {
    Object.assign(this, o);
    this.links = [];       // shares(), oldest first
    this.shared = new Set(); // items with an active share link
    this.adopted = [];     // drops adopted since the page opened
  }

  /** refresh asks for the links again; the rows are drawn again when the shared items changed. */
  async refresh() {
    this.links = await this.app.shares();
    const now = Date.now() / 1000;
    const shared = new Set(this.links.filter((l) => l.kind === "share" && l.item && stateOf(l, now) === "active").map((l) => l.item));
    const same = shared.size === this.shared.size && [...shared].every((id) => this.shared.has(id));
    this.shared = shared;
    if (!same) this.redraw();
    const pending = this.links.reduce((n, l) => n + (l.kind === "drop" ? l.pending || 0 : 0), 0);
    $("#links-view").dataset.pending = String(pending);
  }

  /** mark adds the "Shared" mark to the row li of item id when it has an active link. */
  mark(li, id) {
    if (!this.shared.has(id)) return;
    const m = el("span", { className: "shared-mark", title: "Shared by link", textContent: "Shared" });
    li.querySelector(".name").append(m);
    li.classList.add("shared");
  }

  /** adopt files what strangers dropped through drop links, and lists it. */
  async adopt() {
    if (this.adopting) return this.adopting;
    this.adopting = (async () => {
      try {
        const got = await this.app.adoptDrops();
        if (!got.length) return;
        this.adopted.push(...got);
        await this.changed();
        await this.refresh();
        this.drawDrops();
        const ok = got.filter((d) => !d.error).length;
        if (ok) this.announce(ok === 1 ? "A file was dropped for you" : ok + " files were dropped for you");
      } finally {
        this.adopting = null;
      }
    })();
    return this.adopting;
  }

  /** drawDrops shows the files dropped for you since the page opened. */
  drawDrops() {
    const box = $("#drops");
    const folderOf = new Map(this.links.filter((l) => l.kind === "drop").map((l) => [l.id, l.item]));
    $("#drops-list").replaceChildren(...this.adopted.map((d) => {
      const where = folderOf.get(d.link);
      const name = d.name || "A dropped file";
      const folder = where !== undefined ? this.nameOf(where) : "";
      const li = el("li", { className: "drop-row" + (d.error ? " failed" : "") },
        el("span", { className: "grow" }, el("strong", { className: "drop-name", textContent: name, title: name }),
          el("span", { className: "muted small drop-where", textContent: d.error ? " · not added: " + d.error : folder ? " · in “" + folder + "”" : "", title: folder })));
      if (d.fileId && !d.error) {
        const a = el("a", { href: "#open=" + encodeURIComponent(d.fileId), textContent: "Show" });
        a.setAttribute("aria-label", "Show " + (d.name || "the file"));
        li.append(a);
      }
      return li;
    }));
    box.hidden = this.adopted.length === 0;
  }

  /** itemLinks lists links (of one item, or all) with their use and Copy and Revoke. */
  linkList(links, all) {
    const now = Date.now() / 1000;
    const ul = el("ul", { className: "list link-list" });
    const draw = () => ul.replaceChildren(...(links.length ? links.map((l) => this.linkRow(l, all, now, draw)) :
      [el("li", { className: "muted small none", textContent: all ? "No links yet. Share a file or folder, or request files into a folder, from the bar that shows when you select it." : "No links to this item yet." })]));
    draw();
    return ul;
  }

  linkRow(l, all, now, redraw) {
    const state = stateOf(l, now);
    const title = all ? (l.item ? (l.kind === "drop" ? "Files request into “" + this.nameOf(l.item) + "”" : this.nameOf(l.item)) : "A link this account has no record of") : l.label || "Link";
    const facts = [];
    if (all && l.label) facts.push(l.label);
    if (l.kind === "share") {
      facts.push(l.opens === 1 ? "opened once" : "opened " + l.opens + " times" + (l.maxOpens ? " of " + l.maxOpens : ""));
      if (l.lastOpen) facts.push("last " + when(secs(l.lastOpen)));
      if (l.password) facts.push("password");
    } else if (l.pending) facts.push(l.pending + " waiting");
    facts.push(state === "active" ? "expires " + when(secs(l.expires)) : state);
    const li = el("li", { className: "link " + state.replace(" ", "-") },
      el("div", { className: "grow" }, el("strong", { className: "link-title", textContent: title }),
        el("div", { className: "muted small link-facts", textContent: facts.join(" · ") })));
    li.dataset.link = l.id;
    li.dataset.state = state;
    if (state === "active" && l.url) {
      const c = el("button", { type: "button", className: "secondary small-btn", textContent: "Copy" });
      c.setAttribute("aria-label", "Copy the link " + (l.label ? "for " + l.label : ""));
      c.addEventListener("click", async () => { await navigator.clipboard.writeText(l.url).then(() => this.announce("Link copied"), () => this.announce("The link could not be copied")); });
      li.append(c);
    }
    if (state === "active") {
      const r = el("button", { type: "button", className: "danger small-btn", textContent: "Revoke" });
      r.dataset.revoke = l.id;
      r.setAttribute("aria-label", "Revoke " + (l.label || "the link"));
      r.addEventListener("click", async () => {
        if (!(await ask("Revoke this link?", "Revoke", "It stops working at once, for everyone who has it."))) return;
        try {
          await busy(r, () => this.app.unshare(l.id));
          l.revoked = new Date().toISOString();
          redraw();
          this.announce("Link revoked");
          this.refresh().catch(this.fail);
        } catch (err) { this.fail(err); }
      });
      li.append(r);
    }
    return li;
  }

  /** share opens the Share dialog of item id. */
  async share(id) {
    await this.refresh().catch(() => {});
    const name = this.nameOf(id);
    await modal("Share “" + name + "”", (finish) => {
      const expiry = expirySelect();
      const opens = el("input", { name: "maxOpens", type: "number", min: "1", step: "1", inputMode: "numeric", placeholder: "No limit" });
      const pw = el("input", { name: "password", type: "password", autocomplete: "new-password", placeholder: "None" });
      const label = el("input", { name: "label", maxLength: 200, placeholder: "For Bob, say", autocomplete: "off" });
      const why = el("p", { className: "message error", role: "alert", hidden: true });
      const made = el("div", { className: "made" });
      const create = el("button", { type: "submit", textContent: "Create link" });
      create.dataset.working = "Creating…";
      const form = el("form", { className: "share-form" },
        el("div", { className: "fields" },
          field("Expires after", expiry),
          field("Most opens", opens),
          field("Password", pw, "Optional. Send it another way than the link."),
          field("For whom", label, "Only you see it.")),
        why, el("div", { className: "row end" }, create));
      const mine = () => this.links.filter((l) => l.kind === "share" && l.item === id);
      const list = el("div", { className: "item-links" }, this.linkList(mine(), false));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        show(why, "");
        const max = opens.value.trim() ? Number(opens.value) : 0;
        if (!Number.isInteger(max) || max < 0) return show(why, "Most opens is a whole number.");
        try {
          const url = await busy(create, () => this.app.share(id, { expires: Number(expiry.value), maxOpens: max, password: pw.value, label: label.value.trim() }));
          pw.value = "";
          made.replaceChildren(urlBox(url, "The link to " + name));
          this.announce("Link created");
          await this.refresh();
          list.replaceChildren(this.linkList(mine(), false));
          made.querySelector("[data-copy]").focus();
        } catch (err) { show(why, err.message || String(err)); }
      });
      return [form, made, el("h3", { className: "sub", textContent: "Links to this item" }), list,
        el("div", { className: "row end" }, el("button", { type: "button", className: "secondary", textContent: "Close", onclick: () => finish(null) }))];
    }, "share-dialog");
  }

  /** request opens the Request files dialog of folder id. */
  async request(id) {
    const name = this.nameOf(id);
    await modal("Request files into “" + name + "”", (finish) => {
      const expiry = expirySelect();
      const files = el("input", { name: "maxFiles", type: "number", min: "1", step: "1", value: "10", inputMode: "numeric" });
      const size = el("input", { name: "maxSize", type: "number", min: "1", step: "1", placeholder: "No limit", inputMode: "numeric" });
      const label = el("input", { name: "label", maxLength: 200, placeholder: "Scans from Bob, say", autocomplete: "off" });
      const why = el("p", { className: "message error", role: "alert", hidden: true });
      const made = el("div", { className: "made" });
      const create = el("button", { type: "submit", textContent: "Create request" });
      create.dataset.working = "Creating…";
      const form = el("form", { className: "share-form" },
        el("p", { className: "muted small", textContent: "Whoever has the link can send files into this folder, encrypted to you in their browser: neither the host nor they can read them afterwards. They show up here when you open Files." }),
        el("div", { className: "fields" },
          field("Expires after", expiry),
          field("Most files", files),
          field("Largest file (MB)", size),
          field("For whom", label, "Only you see it.")),
        why, el("div", { className: "row end" }, create));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        show(why, "");
        const n = Number(files.value), mb = size.value.trim() ? Number(size.value) : 0;
        if (!Number.isInteger(n) || n < 1) return show(why, "Most files is a whole number, at least 1.");
        if (!(mb >= 0)) return show(why, "The largest file is a number of megabytes.");
        try {
          // maxFileSize counts sealed bytes: a little more than the file.
          const url = await busy(create, () => this.app.request(id, { expires: Number(expiry.value), maxFiles: n, maxFileSize: Math.round(mb * 1e6 * 1.01) + (mb ? 65536 : 0), label: label.value.trim() }));
          made.replaceChildren(urlBox(url, "The link to send files into " + name));
          this.announce("Request created");
          this.refresh().catch(this.fail);
          made.querySelector("[data-copy]").focus();
        } catch (err) { show(why, err.message || String(err)); }
      });
      return [form, made, el("div", { className: "row end" }, el("button", { type: "button", className: "secondary", textContent: "Close", onclick: () => finish(null) }))];
    }, "share-dialog");
  }

  /** view opens the Links view: every link of the account, newest first. */
  async view() {
    try { await this.refresh(); } catch (err) { return this.fail(err); }
    const pending = this.links.reduce((n, l) => n + (l.kind === "drop" ? l.pending || 0 : 0), 0);
    await modal("Links", (finish) => {
      const check = el("button", { type: "button", className: "secondary", textContent: pending ? "Add " + pending + " dropped " + (pending === 1 ? "file" : "files") : "Check for dropped files" });
      check.dataset.adopt = "true";
      check.addEventListener("click", () => busy(check, () => this.adopt().then(() => finish(null))).catch(this.fail));
      return [this.linkList([...this.links].reverse(), true),
        el("div", { className: "row end" }, check, el("button", { type: "button", className: "secondary", textContent: "Close", onclick: () => finish(null) }))];
    }, "share-dialog links-dialog");
  }
}

