// The PDF frame of Files' preview (files-preview.js, spec/web.md §3.6).
// This script runs in a document Files writes as a data: URL, so on an
// opaque origin ("null"): it holds no storage, no keys and no token, and
// cannot reach Files' document. It waits for one message from the page
// that framed it, { pdf: ArrayBuffer, name }, makes a blob: URL of its own
// origin typed application/pdf, and shows it in the browser's viewer in a
// frame of its own (not sandboxed: Chromium runs its PDF viewer in no
// sandboxed frame), with "Open in a new tab": a tab of its own, still on
// the opaque origin, with no opener. It imports nothing, so it runs alone.

const bar = document.createElement("div");
bar.className = "pdf-bar";
document.body.append(bar);

addEventListener("message", function got(e) {
  if (e.source !== parent || !e.data || !(e.data.pdf instanceof ArrayBuffer)) return;
  removeEventListener("message", got);
  const name = typeof e.data.name === "string" ? e.data.name : "PDF";
  const url = URL.createObjectURL(new Blob([e.data.pdf], { type: "application/pdf" }));
  const open = document.createElement("button");
  open.type = "button";
  open.className = "secondary";
  open.textContent = "Open in a new tab";
  // noopener: the new tab gets no handle on this frame or on Files.
  open.addEventListener("click", () => window.open(url, "_blank", "noopener"));
  if (navigator.pdfViewerEnabled === false) {
    // A browser without a PDF viewer (Chrome on Android, for one) would
    // download the frame's file rather than show it.
    const p = document.createElement("p");
    p.textContent = "This browser shows PDFs in a tab of their own.";
    bar.className = "pdf-none";
    bar.append(p, open);
    return;
  }
  const view = document.createElement("iframe");
  view.className = "pdf-view";
  view.title = name;
  view.src = url;
  bar.append(open);
  document.body.append(view);
});

parent.postMessage("hearth-pdf-ready", "*");
