// A small Markdown renderer that builds DOM nodes and never parses HTML:
// text only ever reaches the page through textContent, so a note cannot
// inject markup or script, whatever it holds.
//
// Supported: headings (#…######), paragraphs, emphasis (*em*, **strong**),
// inline code, fenced code blocks, block quotes, unordered and ordered lists,
// horizontal rules, and links [text](https://…) whose URL is http, https or
// mailto (others render as plain text, unless the caller's link hook makes
// a node of them: Notes shows [@Lou](contact:ID) as the contact's name).

let linkHook = null; // (url, text) → Node | null, during one renderMarkdown

/**
 * @param {string} src
 * @param {{ link?: (url: string, text: string) => Node | null }} [opts]
 * @returns {DocumentFragment}
 */
export function renderMarkdown(src, opts = {}) {
  const prev = linkHook;
  linkHook = opts && typeof opts.link === "function" ? opts.link : null;
  try {
    return render(src, 0);
  } finally {
    linkHook = prev;
  }
}

function render(src, depth) {
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
      if (depth < 16) bq.append(render(quoted.join("\n"), depth + 1));
      else appendText(bq, quoted.join("\n"));
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

// nextIndex returns, for each position of text, the first index at or after
// it where test holds (text.length if none): one pass, so that looking for
// a closing mark costs nothing however many unclosed marks a note holds.
function nextIndex(text, test) {
  const next = new Int32Array(text.length + 2);
  next[text.length] = next[text.length + 1] = text.length;
  for (let k = text.length - 1; k >= 0; k--) next[k] = test(k) ? k : next[k + 1];
  return next;
}

// inline appends the inline Markdown of text to parent, in time linear in
// the length of text (per level of nesting).
function inline(parent, text, depth = 0) {
  if (depth > 8) { appendText(parent, text); return; }
  const n = text.length;
  const nextTick = nextIndex(text, (k) => text[k] === "`");
  const nextStar = nextIndex(text, (k) => text[k] === "*");
  const nextUnder = nextIndex(text, (k) => text[k] === "_");
  const nextStar2 = nextIndex(text, (k) => text[k] === "*" && text[k + 1] === "*");
  const nextBracket = nextIndex(text, (k) => text[k] === "]");
  const nextParen = nextIndex(text, (k) => text[k] === ")");
  const nextSpace = nextIndex(text, (k) => /\s/.test(text[k]));
  let plain = 0; // start of the text not yet appended
  const flush = (end) => { if (end > plain) appendText(parent, text.slice(plain, end)); };
  let i = 0;
  while (i < n) {
    const c = text[i];
    let node = null, end = -1;
    if (c === "`") {
      const j = nextTick[i + 1];
      if (j < n && j > i + 1) { node = el("code"); node.textContent = text.slice(i + 1, j); end = j + 1; }
    } else if (c === "*" && text[i + 1] === "*") {
      const j = nextStar2[i + 2];
      if (j < n && j > i + 2) { node = el("strong"); inline(node, text.slice(i + 2, j), depth + 1); end = j + 2; }
    } else if ((c === "*" || c === "_") && i + 1 < n && !/\s/.test(text[i + 1])) {
      const j = (c === "*" ? nextStar : nextUnder)[i + 1];
      if (j < n && j > i + 1) { node = el("em"); inline(node, text.slice(i + 1, j), depth + 1); end = j + 1; }
    } else if (c === "[") {
      const j = nextBracket[i + 1];
      if (j < n && j > i + 1 && text[j + 1] === "(") {
        const k = nextParen[j + 2];
        if (k < n && k > j + 2 && nextSpace[j + 2] > k) {
          const url = safeURL(text.slice(j + 2, k));
          const hooked = !url && linkHook ? linkHook(text.slice(j + 2, k), text.slice(i + 1, j)) : null;
          end = k + 1;
          if (hooked) {
            node = hooked;
          } else if (url) {
            node = el("a");
            node.href = url;
            node.rel = "noopener noreferrer";
            node.target = "_blank";
            inline(node, text.slice(i + 1, j), depth + 1);
          } else {
            node = document.createTextNode(text.slice(i, end));
          }
        }
      }
    }
    if (node) {
      flush(i);
      parent.append(node);
      i = plain = end;
    } else {
      i++;
    }
  }
  flush(n);
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
