// Previews in the page: images, audio, video, PDF, plain text and
// Markdown, decrypted in this browser (a download resolves only once the
// whole file verified) into a blob: URL that goes when the preview closes.
// No file's content ever runs as script here: images (SVG too) go in an
// <img>, which runs none; text is text; Markdown is rendered as DOM nodes
// (markdown.js), never parsed as HTML; a PDF is shown on an opaque origin
// of its own (pdfFrame).
import { el } from "./hearth-kit.js";
import { renderMarkdown } from "./markdown.js";
import { bytes, icon, kindOf } from "./files-model.js";

/** TEXT_CAP is how much of a text file a preview shows. */
export const TEXT_CAP = 1 << 20;

/**
 * Preview shows the files of a folder one at a time. how: { download(id,
 * onProgress) → {blob, type}, nameOf(id), itemOf(id), save(id), say(err) }.
 */
export class Preview {
  constructor(how) {
    this.how = how;
    this.url = "";
    this.dialog = null;
  }

  /** open shows file id, with next and previous among ids (the folder's files, as listed). */
  open(id, ids) {
    this.ids = ids;
    if (!this.dialog) this.build();
    this.show(id);
  }

  build() {
    const back = document.activeElement;
    this.title = el("h2", { className: "preview-name" });
    this.prev = el("button", { type: "button", className: "secondary icon", onclick: () => this.step(-1) }, icon("prev"));
    this.prev.setAttribute("aria-label", "Previous file");
    this.next = el("button", { type: "button", className: "secondary icon", onclick: () => this.step(1) }, icon("next"));
    this.next.setAttribute("aria-label", "Next file");
    const save = el("button", { type: "button", className: "secondary", textContent: "Download", onclick: () => this.how.save(this.id) });
    const close = el("button", { type: "button", className: "secondary", textContent: "Close", onclick: () => this.dialog.close() });
    close.dataset.closePreview = "true";
    this.body = el("div", { className: "preview-body" });
    this.info = el("p", { className: "muted small preview-info", role: "status" });
    const d = el("dialog", { className: "preview" },
      el("div", { className: "preview-head" }, this.prev, this.title, this.next, el("span", { className: "grow" }), save, close),
      this.body, this.info);
    d.setAttribute("aria-label", "Preview");
    d.addEventListener("keydown", (e) => {
      if (e.target instanceof HTMLElement && e.target.closest("video, audio")) return;
      if (e.key === "ArrowLeft") this.step(-1);
      else if (e.key === "ArrowRight") this.step(1);
    });
    d.addEventListener("close", () => {
      this.drop();
      d.remove();
      this.dialog = null;
      if (back && back.isConnected) back.focus();
    });
    document.body.append(d);
    this.dialog = d;
    d.showModal();
    close.focus();
  }

  step(by) {
    const i = this.ids.indexOf(this.id);
    const j = i + by;
    if (i < 0 || j < 0 || j >= this.ids.length) return;
    this.show(this.ids[j]);
  }

  drop() {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = "";
    if (this.unframe) this.unframe();
    this.unframe = null;
  }

  /**
   * pdfFrame shows a PDF in the browser's viewer without letting it near
   * this origin. Chromium runs its viewer in no sandboxed frame (it shows
   * a broken page instead), and a frame of a blob: of this page would be
   * this origin. So the frame is a data: document (an opaque origin,
   * "null", not sandboxed) that loads files-pdf-frame.js and gets the
   * bytes by postMessage; that script makes its own blob: URL, typed
   * application/pdf (never the file's claim, so it opens as a PDF
   * whatever the bytes hold), shows it, and offers "Open in a new tab"
   * (that origin still, no opener). The document inherits this page's
   * CSP: no script but this origin's files. One thing no frame stops: a
   * link clicked in Chromium's viewer takes the whole tab, not the frame;
   * while a PDF is shown, leaving the page asks first (beforeunload).
   */
  pdfFrame(blob, name) {
    const here = location.origin;
    const doc = '<!doctype html><html lang="en"><meta charset="utf-8"><meta name="color-scheme" content="light dark"><title>PDF</title>' +
      `<link rel="stylesheet" href="${here}/style.css" crossorigin><link rel="stylesheet" href="${here}/files.css" crossorigin>` +
      `<script type="module" src="${here}/files-pdf-frame.js"></script><body class="pdf-frame">`;
    const f = el("iframe", { src: "data:text/html;charset=utf-8," + encodeURIComponent(doc), className: "preview-frame", title: name });
    // Its origin is opaque, so the bytes go to "*": to the document in
    // this frame, which only this page navigates (to the URL above).
    const ready = (e) => {
      if (e.source !== f.contentWindow || e.data !== "hearth-pdf-ready") return;
      blob.arrayBuffer().then((pdf) => {
        if (f.isConnected && f.contentWindow) f.contentWindow.postMessage({ pdf, name }, "*", [pdf]);
      });
    };
    const ask = (e) => { e.preventDefault(); };
    addEventListener("message", ready);
    addEventListener("beforeunload", ask);
    this.unframe = () => {
      removeEventListener("message", ready);
      removeEventListener("beforeunload", ask);
    };
    return f;
  }

  async show(id) {
    this.id = id;
    const n = ++this.n || (this.n = 1);
    const it = this.how.itemOf(id);
    const name = this.how.nameOf(id);
    this.title.textContent = name;
    this.title.title = name;
    const i = this.ids.indexOf(id);
    this.prev.disabled = i <= 0;
    this.next.disabled = i < 0 || i >= this.ids.length - 1;
    this.drop();
    const bar = el("progress", { max: 1, value: 0 });
    bar.setAttribute("aria-label", "Decrypting " + name);
    this.body.replaceChildren(el("div", { className: "preview-wait" }, el("p", { textContent: "Decrypting in this browser…" }), bar));
    this.info.textContent = bytes(it.length);
    let got;
    try {
      got = await this.how.download(id, (done, total) => { bar.max = Math.max(1, total); bar.value = done; });
    } catch (err) {
      if (n !== this.n) return;
      this.body.replaceChildren(el("p", { className: "message error", role: "alert", textContent: this.how.say(err) }));
      return;
    }
    if (n !== this.n || !this.dialog) return;
    const kind = kindOf(it.type || got.type || "", name);
    this.body.replaceChildren(await this.view(kind, got.blob, name));
    this.body.dataset.kind = kind;
  }

  async view(kind, blob, name) {
    const url = (type) => (this.url = URL.createObjectURL(new Blob([blob], { type })));
    switch (kind) {
      case "image": {
        // An <img> runs no script, whatever the file (SVG too).
        const type = blob.type.startsWith("image/") ? blob.type : (name.toLowerCase().endsWith(".svg") ? "image/svg+xml" : "");
        return el("img", { src: url(type), alt: name, className: "preview-image" });
      }
      case "video": return el("video", { src: url(blob.type.startsWith("video/") ? blob.type : ""), controls: true, className: "preview-media" });
      case "audio": return el("audio", { src: url(blob.type.startsWith("audio/") ? blob.type : ""), controls: true, className: "preview-audio" });
      case "pdf": return this.pdfFrame(blob, name);
      case "markdown":
      case "text": {
        const cut = blob.size > TEXT_CAP;
        const s = await blob.slice(0, TEXT_CAP).text();
        const box = kind === "markdown"
          ? el("div", { className: "preview-markdown" }, renderMarkdown(s))
          : el("pre", { className: "preview-text", textContent: s });
        box.tabIndex = 0;
        box.setAttribute("aria-label", name);
        return cut ? el("div", {}, el("p", { className: "message warn", textContent: "Showing the first " + bytes(TEXT_CAP) + " of " + bytes(blob.size) + ": download the file to read all of it." }), box) : box;
      }
      default:
        return el("div", { className: "preview-none" }, el("p", { textContent: "No preview for this kind of file." }),
          el("button", { type: "button", textContent: "Download", onclick: () => this.how.save(this.id) }));
    }
  }
}
