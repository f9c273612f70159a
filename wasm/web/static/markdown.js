// A small Markdown renderer that builds DOM nodes and never parses HTML:
// text only ever reaches the page through textContent, so a note cannot
// inject markup or script, whatever it holds.
//
// Supported: headings (#…######), paragraphs, emphasis (*em*, **strong**),
// inline code, fenced code blocks, block quotes, unordered and ordered lists,
// horizontal rules, and links [text](https://…) whose URL is http, https or
// mailto (others render as plain text).

/** @param {string} src @returns {DocumentFragment} */
export function renderMarkdown(src) {
  const frag = document.createDocumentFragment();
  const lines = src.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*$/.test(line)) { i++; continue; }
    let m;
    if ((m = /^```(.*)$/.exec(line))) {
      const code = [];
      i++;
      while (i < lines.length && !/^```\s*$/.test(lines[i])) code.push(lines[i++]);
      i++;
      const pre = el("pre"), c = el("code");
      c.textContent = code.join("\n");
      pre.append(c);
      frag.append(pre);
      continue;
    }
    if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
      const h = el("h" + m[1].length);
      inline(h, m[2]);
      frag.append(h);
      i++;
      continue;
    }
    if (/^(\*\s*\*\s*\*|-\s*-\s*-|_\s*_\s*_)[\s*_-]*$/.test(line)) {
      frag.append(el("hr"));
      i++;
      continue;
    }
    if (/^>\s?/.test(line)) {
      const quoted = [];
      while (i < lines.length && /^>\s?/.test(lines[i])) quoted.push(lines[i++].replace(/^>\s?/, ""));
      const bq = el("blockquote");
      bq.append(renderMarkdown(quoted.join("\n")));
      frag.append(bq);
      continue;
    }
    if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d+[.)]\s+/.test(line);
      const list = el(ordered ? "ol" : "ul");
      while (i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) {
        const li = el("li");
        let text = lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, "");
        const task = /^\[( |x|X)\]\s+/.exec(text);
        if (task) {
          const box = el("input");
          box.type = "checkbox";
          box.disabled = true;
          box.checked = task[1] !== " ";
          li.append(box, " ");
          text = text.slice(task[0].length);
        }
        inline(li, text);
        list.append(li);
        i++;
      }
      frag.append(list);
      continue;
    }
    const para = [];
    while (i < lines.length && !/^\s*$/.test(lines[i]) && !/^(#{1,6}\s|```|>|\s*([-*+]|\d+[.)])\s+)/.test(lines[i])) {
      para.push(lines[i++]);
    }
    const p = el("p");
    inline(p, para.join("\n"));
    frag.append(p);
  }
  return frag;
}

function el(tag) { return document.createElement(tag); }

// inline appends the inline Markdown of text to parent.
function inline(parent, text) {
  const re = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*|_[^_\s][^_]*_)|(\[[^\]]+\]\([^)\s]+\))/;
  while (text.length > 0) {
    const m = re.exec(text);
    if (!m) { appendText(parent, text); return; }
    appendText(parent, text.slice(0, m.index));
    const tok = m[0];
    if (m[1]) {
      const c = el("code"); c.textContent = tok.slice(1, -1); parent.append(c);
    } else if (m[2]) {
      const s = el("strong"); inline(s, tok.slice(2, -2)); parent.append(s);
    } else if (m[3]) {
      const e = el("em"); inline(e, tok.slice(1, -1)); parent.append(e);
    } else {
      const lm = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(tok);
      const url = safeURL(lm[2]);
      if (url) {
        const a = el("a");
        a.href = url;
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        inline(a, lm[1]);
        parent.append(a);
      } else {
        appendText(parent, tok);
      }
    }
    text = text.slice(m.index + tok.length);
  }
}

// appendText keeps single line breaks inside a paragraph.
function appendText(parent, text) {
  const parts = text.split("\n");
  parts.forEach((part, k) => {
    if (k > 0) parent.append(el("br"));
    if (part) parent.append(document.createTextNode(part));
  });
}

function safeURL(raw) {
  try {
    const u = new URL(raw);
    return ["http:", "https:", "mailto:"].includes(u.protocol) ? u.href : "";
  } catch {
    return "";
  }
}
