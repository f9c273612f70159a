// Home's search (spec/web.md §3.7).
//
// The search worker (hearth-search.wasm: the client with bleve, several
// times larger than hearth.wasm) starts when the box is first used. It
// resumes the session this page's worker saved, opens every doctype's
// index (loading the stored ones, building the others) and answers as the
// person types: one query at a time, the latest one waiting.
import { Hearth } from "./hearth.js";
import { $ } from "./hearth-kit.js";

let searcher = null;  // Promise<Hearth|null>
let searchBound = false;

export function bindSearch(say) {
  if (searchBound) return;
  searchBound = true;
  const box = $("#search");
  const out = $("#search-results");
  let timer = 0, running = false, next = null;
  const status = (text) => { $("#search-status").textContent = text; $("#search-status").hidden = !text; };
  const start = () => {
    if (!searcher) {
      status("Preparing search…");
      searcher = Hearth.openSearch({ server: location.origin }).catch((err) => { status(say(err)); searcher = null; return null; });
    }
    return searcher;
  };
  const run = async (q) => {
    if (running) { next = q; return; }
    running = true;
    try {
      const s = await start();
      if (!s) return;
      const t0 = performance.now();
      const r = await s.search(asTyped(q), { limit: 5 });
      // Results answer the query in the box, or are not shown: a newer
      // query is waiting (next) or on its timer.
      if (q === box.value && next === null) renderResults(q, r, performance.now() - t0, status);
    } catch (err) {
      if (q !== box.value) return;
      searching(out, "");
      if (err.code === "bad_input") status("Keep typing: the query is not finished.");
      else status(say(err));
    } finally {
      running = false;
      if (next !== null) { const q2 = next; next = null; run(q2); }
    }
  };
  box.addEventListener("focus", start);
  box.addEventListener("input", () => {
    // The results of the previous query go at once: none is shown under
    // a query it does not answer.
    searching(out, box.value);
    clearTimeout(timer);
    timer = setTimeout(() => run(box.value), 120);
  });
}

// searching empties the results while query runs ("Searching…" when
// there is one).
function searching(out, query) {
  delete out.dataset.query;
  out.setAttribute("aria-busy", String(!!query.trim()));
  out.replaceChildren(...(query.trim() ? [Object.assign(document.createElement("p"), { className: "muted searching", textContent: "Searching…" })] : []));
}

// asTyped makes the word being typed a prefix: "lisb" finds Lisbon. Only a
// last word of three letters or more, outside quotes, with no operator.
function asTyped(q) {
  if ((q.match(/"/g) || []).length % 2 === 1) return q;
  const m = /(^|\s)([\p{L}\p{N}]{3,})$/u.exec(q);
  return m ? q + "*" : q;
}

function renderResults(q, r, ms, status) {
  const out = $("#search-results");
  out.dataset.query = q; // what the results shown answer (for the tests)
  out.setAttribute("aria-busy", "false");
  out.dataset.ms = String(Math.round(ms));
  if (r.rebuilt && r.rebuilt.length) {
    status("The stored index of " + r.rebuilt.map((x) => x.doctype).join(", ") +
      " could not be used (it may have been altered) and was rebuilt from your data.");
  } else status("");
  if (!q.trim()) { out.replaceChildren(); return; }
  if (r.groups.length === 0) {
    out.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "Nothing matches." }));
    return;
  }
  out.replaceChildren(...r.groups.map((g) => {
    const sec = Object.assign(document.createElement("section"), { className: "results-group" });
    sec.dataset.doctype = g.doctype;
    const h3 = Object.assign(document.createElement("h3"), { textContent: g.app ? g.app.name : g.doctype });
    h3.append(" ", Object.assign(document.createElement("span"), { className: "muted", textContent: "(" + g.total + ")" }));
    const ul = document.createElement("ul");
    for (const hit of g.hits) {
      const li = document.createElement("li");
      const a = document.createElement(hit.url ? "a" : "div");
      if (hit.url) a.href = hit.url;
      a.dataset.id = hit.id;
      a.append(Object.assign(document.createElement("strong"), { textContent: hit.title || "Untitled" }));
      if (hit.snippet) {
        const sn = Object.assign(document.createElement("div"), { className: "snippet muted" });
        if (hit.snippet.cutStart) sn.append("…");
        for (const p of hit.snippet.parts) sn.append(p.mark ? Object.assign(document.createElement("mark"), { textContent: p.text }) : p.text);
        if (hit.snippet.cutEnd) sn.append("…");
        a.append(sn);
      }
      li.append(a);
      ul.append(li);
    }
    sec.append(h3, ul);
    return sec;
  }));
}
