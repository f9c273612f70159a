// Contacts: the people you know, with any number of fields and a photo;
// vCard 2.1, 3.0 and 4.0 import, 4.0 export (spec/contacts.md). Editing
// changes only the members shown, so what an imported card held beyond
// them (its extra properties) is kept and exported again. Edits are saved
// by themselves, as in Notes: a short pause after the last one, or at once
// when another contact is opened, the editor is closed or the page is
// hidden or left.
import { $, appWords, deleteMalformed, el, live, openLinks, sayer, show, startApp, ask } from "./hearth-kit.js";
import { isObject, text, notText, clip, flaggedRow, notA } from "./values.js";

const DOCTYPE = "io.hearth.contacts";
const contacts = new Map(); // id → contact (the document's value)
const revs = new Map();     // id → the revision of it shown
const flagged = new Map();  // id → why the document cannot be shown as a contact
let app;
let current = null; // id of the contact in the editor; "" for a new one not saved yet
let editing = null; // the editor's contact: { id } ("" until a new one is created)
let dirty = false;  // the editor holds edits not handed to a save yet
let saveTimer = 0;
let saving = Promise.resolve(); // the saves, one after the other
let pending = 0;                // saves handed over and not finished
let confirming = null;          // another app's request: its contact is saved when the person says so
let filter = "";

const say = sayer(appWords, {
  network: "The server cannot be reached; your changes will be saved when it is back.",
  not_found: "This contact no longer exists.",
});
const message = (text, kind) => show($("#msg"), text, kind);
const status = (text) => { $("#status").textContent = text; };

// fold makes text comparable whatever its case and accents ("Zoë" and
// "ZOE" are "zoe"), as Home's search does (protocol §7.3): the filter
// finds Zoë when "zoe" is typed.
const LETTERS = { ø: "o", ß: "ss", æ: "ae", œ: "oe", ł: "l", đ: "d", ð: "d", þ: "th", ı: "i", ħ: "h", ŧ: "t", ŀ: "l" };
function fold(s) {
  return s.normalize("NFKD")
    .replace(/([\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}])\p{Mn}+/gu, "$1")
    .toLowerCase()
    .replace(/[øßæœłđðþıħŧŀ]/g, (c) => LETTERS[c])
    .normalize("NFC");
}

// Other apps may write what they like: a document is shown when its members
// have the shapes of spec/contacts.md §2 (absent and null mean none; a
// number where text belongs is shown as text), and flagged otherwise.
const ENTRIES = ["emails", "phones", "urls", "fields", "impp", "related"];
const ADDR_PARTS = ["pobox", "extended", "street", "locality", "region", "postcode", "country"];

// problem says why a stored value cannot be shown as a contact ("" when it
// can).
function problem(c) {
  if (!isObject(c)) return notA(c, "a contact");
  if (Array.isArray(c.name)) return "its name is a list";
  if (isObject(c.name)) {
    for (const k of ["full", "given", "family", "additional", "prefix", "suffix"]) if (notText(c.name[k])) return "a part of its name is not text";
  }
  if (c.org != null && !isObject(c.org)) return "its organization is not one";
  if (isObject(c.org) && notText(c.org.name)) return "its organization's name is not text";
  for (const k of ["title", "role", "notes", "birthday", "anniversary", "kind"]) if (notText(c[k])) return "its " + k + " is not text";
  for (const k of [...ENTRIES, "addresses"]) {
    if (c[k] == null) continue;
    if (!Array.isArray(c[k])) return "its " + k + " are not a list";
    for (const e of c[k]) {
      if (!isObject(e)) return "one of its " + k + " is " + (e === null ? "null" : "not an entry");
      for (const f of k === "addresses" ? [...ADDR_PARTS, "label"] : ["value", "label"]) if (notText(e[f])) return "one of its " + k + " holds a " + f + " that is not text";
      if (e.types != null && (!Array.isArray(e.types) || e.types.some(notText))) return "one of its " + k + " has kinds that are not text";
    }
  }
  if (c.photo != null && (!isObject(c.photo) || notText(c.photo.type) || notText(c.photo.data))) return "its photo is not one";
  return "";
}

// keep files a stored value as a contact, or flags it.
function keep(id, v) {
  let why;
  try {
    why = problem(v);
  } catch {
    why = "it cannot be read";
  }
  if (why) {
    contacts.delete(id);
    flagged.set(id, why);
  } else {
    flagged.delete(id);
    contacts.set(id, v);
  }
}

const nameOf = (c) => (isObject(c.name) ? c.name : { full: c.name });
const orgName = (c) => (isObject(c.org) ? text(c.org.name) : "");
const firstEmail = (c) => (Array.isArray(c.emails) && isObject(c.emails[0]) ? text(c.emails[0].value) : "");

function displayName(c) {
  const n = nameOf(c);
  return clip(text(n.full) || [text(n.given), text(n.family)].filter(Boolean).join(" ") || orgName(c) || firstEmail(c) || "No name", 300);
}

function haystack(c) {
  const n = nameOf(c);
  const parts = [displayName(c), text(n.given), text(n.family), orgName(c), text(c.title), text(c.notes)];
  for (const k of ["emails", "phones", "urls", "fields"]) for (const e of c[k] || []) parts.push(text(e.value), text(e.label));
  for (const a of c.addresses || []) parts.push(text(a.street), text(a.locality), text(a.region), text(a.postcode), text(a.country));
  return fold(parts.filter(Boolean).join(" "));
}

// deleteFlagged deletes a document Contacts cannot show, once the person
// confirms.
function deleteFlagged(id) {
  deleteMalformed(app, DOCTYPE, id, "contact", () => {
    flagged.delete(id);
    renderList();
  }, (err) => message(say(err)));
}

function renderList() {
  const items = [...contacts.entries()]
    .filter(([, c]) => !filter || haystack(c).includes(filter))
    .sort((a, b) => displayName(a[1]).localeCompare(displayName(b[1])));
  const bad = filter ? [] : [...flagged.entries()].map(([id, why]) => {
    const li = flaggedRow("This contact could not be shown", why, () => deleteFlagged(id));
    li.dataset.id = id;
    return li;
  });
  const none = filter && items.length === 0 ? [el("li", { className: "muted small none", textContent: "No contact matches “" + clip($("#search").value.trim(), 60) + "”." })] : [];
  $("#list").replaceChildren(...bad, ...none, ...items.map(([id, c]) => {
    const b = el("button", { type: "button" }, avatar(c),
      el("span", { className: "who" }, el("strong", { textContent: displayName(c) }),
        el("span", { className: "muted small", textContent: clip(orgName(c) || firstEmail(c), 200) })));
    b.addEventListener("click", () => open(id));
    if (id === current) b.setAttribute("aria-current", "true");
    const li = el("li", {}, b);
    li.dataset.id = id;
    return li;
  }));
  $("#count").textContent = (filter ? items.length + " of " : "") + (contacts.size === 1 ? "1 contact" : contacts.size + " contacts") +
    (flagged.size ? ", " + flagged.size + " could not be shown" : "");
  // The right pane is never blank: what to do when nothing is open.
  $("#empty").hidden = current !== null;
  $("#empty").textContent = contacts.size + flagged.size ? "Choose a contact on the left, or add one." : "No contacts yet. Add one, or import a vCard file.";
  $("#export").disabled = contacts.size === 0; // nothing to export
  $("#export").title = contacts.size === 0 ? "No contacts to export yet" : "";
}

// avatar is a contact's photo, small, or the initials of its name on a
// colour of its own (the same name, the same colour), for the list.
function avatar(c) {
  const src = photoURL(isObject(c.photo) ? c.photo : null);
  if (src) {
    const img = el("img", { className: "avatar", alt: "", src });
    img.addEventListener("error", () => img.replaceWith(initials(c))); // a photo that does not decode
    return img;
  }
  return initials(c);
}

// initials are the first letters of a contact's first and last names, on
// a colour of its own.
function initials(c) {
  const name = displayName(c);
  const words = name.split(/\s+/).filter((w) => /\p{L}|\p{N}/u.test(w));
  const letters = (words.length > 1 ? [words[0], words[words.length - 1]] : words.slice(0, 1))
    .map((w) => [...w.match(/[\p{L}\p{N}]/u)?.[0] ?? ""][0] || "").join("").toUpperCase();
  let hue = 0;
  for (const ch of name) hue = (hue * 31 + ch.codePointAt(0)) % 360;
  const a = el("span", { className: "avatar initials hue-" + Math.floor(hue / 45), textContent: letters || "?" });
  a.setAttribute("aria-hidden", "true");
  return a;
}

// ---- the editor ----

const TYPES = { emails: ["home", "work", "other"], phones: ["cell", "home", "work", "other"], urls: ["home", "work", "other"] };

function entryRow(kind, e = {}) {
  const row = el("div", { className: "row entry" });
  if (kind === "fields") {
    row.append(el("input", { className: "label", placeholder: "Label", value: text(e.label), ariaLabel: "Label" }));
  } else {
    const sel = el("select", { className: "type", ariaLabel: "Kind" });
    const types = TYPES[kind];
    const have = (e.types || []).map((t) => text(t).toLowerCase()).find((t) => types.includes(t)) || "";
    sel.append(el("option", { value: "", textContent: "—" }), ...types.map((t) => el("option", { value: t, textContent: t, selected: t === have })));
    row.append(sel);
  }
  row.append(el("input", { className: "value", value: text(e.value), ariaLabel: "Value",
    type: kind === "emails" ? "email" : kind === "phones" ? "tel" : kind === "urls" ? "url" : "text" }));
  const rm = el("button", { type: "button", className: "secondary", textContent: "×", ariaLabel: "Remove" });
  rm.addEventListener("click", () => { row.remove(); edited(); });
  row.append(rm);
  row._entry = e; // what the editor does not show (label, params, group) is kept
  return row;
}

const ADDR = ["street", "locality", "postcode", "region", "country"];
const ADDR_WORDS = { street: "Street", locality: "City", postcode: "Postcode", region: "Region", country: "Country" };

function addressRow(a = {}) {
  const row = el("div", { className: "row entry address" });
  for (const k of ADDR) row.append(el("input", { className: k, placeholder: ADDR_WORDS[k], value: text(a[k]), ariaLabel: ADDR_WORDS[k] }));
  const rm = el("button", { type: "button", className: "secondary", textContent: "×", ariaLabel: "Remove" });
  rm.addEventListener("click", () => { row.remove(); edited(); });
  row.append(rm);
  row._entry = a;
  return row;
}

function fillEditor(c) {
  const n = nameOf(c);
  $("#full").value = text(n.full);
  $("#given").value = text(n.given);
  $("#family").value = text(n.family);
  $("#org").value = orgName(c);
  $("#title").value = text(c.title);
  $("#birthday").value = text(c.birthday);
  $("#notes").value = text(c.notes);
  for (const k of ["emails", "phones", "urls", "fields"]) $("#" + k).replaceChildren(...(c[k] || []).map((e) => entryRow(k, e)));
  $("#addresses").replaceChildren(...(c.addresses || []).map((a) => addressRow(a)));
  showPhoto(isObject(c.photo) ? c.photo : null);
  const kept = Array.isArray(c.extra) ? c.extra.length : 0;
  $("#kept").textContent = kept ? kept + " more field" + (kept > 1 ? "s" : "") + " from the imported card, kept for export." : "";
  $("#kept").hidden = !kept;
}

// photoURL is a kept photo as a data: URL, or "" when it is not one of
// the image types shown or its data is not base64.
function photoURL(p) {
  if (!p || typeof p.data !== "string" || !p.data || !/^image\/(jpeg|png|gif|webp)$/.test(text(p.type)) || !/^[A-Za-z0-9+/=\s]*$/.test(p.data)) return "";
  return "data:" + p.type + ";base64," + p.data.replace(/\s+/g, "");
}

let photo = null; // the photo in the editor: { type, data } or { uri } or null
function showPhoto(p) {
  photo = p || null;
  const img = $("#photo");
  const src = photoURL(p);
  if (src) {
    img.src = src;
    img.hidden = false;
  } else {
    img.removeAttribute("src");
    img.hidden = true;
  }
  $("#photo-remove").hidden = !p;
}

// fromEditor applies the editor to a copy of the contact: members it does
// not show are left as they were.
function fromEditor(old) {
  const c = structuredClone(old || { v: 1 });
  c.v = 1;
  c.name = { ...(isObject(c.name) ? c.name : {}), full: $("#full").value.trim(), given: $("#given").value.trim(), family: $("#family").value.trim() };
  if (!c.name.full) c.name.full = [c.name.given, c.name.family].filter(Boolean).join(" ");
  const org = $("#org").value.trim();
  if (org) c.org = { ...(c.org || {}), name: org }; else delete c.org;
  for (const [k, id] of [["title", "#title"], ["birthday", "#birthday"], ["notes", "#notes"]]) {
    const v = $(id).value.trim();
    if (v) c[k] = v; else delete c[k];
  }
  for (const k of ["emails", "phones", "urls", "fields"]) {
    const rows = [...$("#" + k).children].map((row) => {
      const e = { ...row._entry, value: row.querySelector(".value").value.trim() };
      if (k === "fields") e.label = row.querySelector(".label").value.trim();
      else {
        const t = row.querySelector(".type").value;
        const others = (e.types || []).filter((x) => !TYPES[k].includes(text(x).toLowerCase()));
        e.types = t ? [t, ...others] : others;
        if (!e.types.length) delete e.types;
      }
      return e;
    }).filter((e) => e.value);
    if (rows.length) c[k] = rows; else delete c[k];
  }
  const addrs = [...$("#addresses").children].map((row) => {
    const a = { ...row._entry };
    for (const k of ADDR) {
      const v = row.querySelector("." + k).value.trim();
      if (v) a[k] = v; else delete a[k];
    }
    return a;
  }).filter((a) => ADDR.some((k) => a[k]) || a.pobox || a.extended);
  if (addrs.length) c.addresses = addrs; else delete c.addresses;
  if (photo) c.photo = photo; else delete c.photo;
  return c;
}

// open shows contact id in the editor ("" for a new one); the edits of
// the one shown before are saved first.
function open(id) {
  flush();
  current = id;
  editing = { id };
  dirty = false;
  fillEditor(id === "" ? { v: 1, name: {} } : contacts.get(id));
  $("#editor").hidden = false;
  $("#empty").hidden = true;
  document.querySelector(".notes").classList.add("editing");
  $("#delete").hidden = id === "";
  status("");
  renderList();
}

function closeEditor() {
  flush();
  current = null;
  editing = null;
  dirty = false;
  $("#editor").hidden = true;
  document.querySelector(".notes").classList.remove("editing");
  renderList();
}

// edited: the editor changed; it is saved after a short pause (at once
// if another contact is opened meanwhile).
function edited() {
  if (current === null || confirming) return; // another app's contact waits for Add contact
  dirty = true;
  status("Editing…");
  clearTimeout(saveTimer);
  saveTimer = setTimeout(flush, 800);
}

// blank reports whether a new contact holds nothing yet: it is not saved.
function blank(c) {
  const { v, name, ...rest } = c;
  return !Object.values(isObject(name) ? name : {}).some(Boolean) && Object.keys(rest).length === 0;
}

// flush hands the editor's edits to a save, if there are any: the
// contact is read from the editor now, so that the editor may show
// another one at once; the saves run one after the other (a new contact
// is created by the first, and put by the next). It returns when they are
// done.
function flush() {
  clearTimeout(saveTimer);
  if (!dirty || !editing) return saving;
  dirty = false;
  const ed = editing;
  const c = fromEditor(ed.id ? contacts.get(ed.id) : null);
  if (!ed.id && blank(c)) {
    status("");
    return saving;
  }
  status("Saving…");
  pending++;
  saving = saving.then(async () => {
    try {
      let rev;
      if (ed.id) ({ rev } = await app.put(DOCTYPE, ed.id, c));
      else {
        ({ id: ed.id, rev } = await app.create(DOCTYPE, c));
        if (ed === editing) {
          current = ed.id;
          $("#delete").hidden = false;
        }
      }
      if (!(revs.get(ed.id) >= rev)) {
        contacts.set(ed.id, c);
        revs.set(ed.id, rev);
      }
      if (ed === editing && !dirty) status("Saved");
      renderList();
    } catch (err) {
      if (ed === editing) {
        dirty = true; // saved with the next edit, when the editor is left, or (offline) in a while
        status("Not saved");
        clearTimeout(saveTimer);
        if (err.code === "network") saveTimer = setTimeout(flush, 5000);
      }
      message(say(err));
    } finally {
      pending--;
    }
  });
  return saving;
}

// A photo is made small (at most 256 pixels a side, JPEG) before it is kept:
// it travels in the contact's document.
async function loadPhoto(file) {
  const bmp = await createImageBitmap(file);
  const scale = Math.min(1, 256 / Math.max(bmp.width, bmp.height));
  const canvas = el("canvas", { width: Math.max(1, Math.round(bmp.width * scale)), height: Math.max(1, Math.round(bmp.height * scale)) });
  canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
  const url = canvas.toDataURL("image/jpeg", 0.85);
  showPhoto({ type: "image/jpeg", data: url.slice(url.indexOf(",") + 1) });
  edited();
}

// ---- vCard ----

async function importFile(file) {
  message("Reading " + file.name + "…", "ok");
  try {
    const { contacts: cards, warnings } = await app.vcardImport(file);
    let done = 0;
    for (const c of cards) {
      const { id } = await app.create(DOCTYPE, c);
      contacts.set(id, c);
      done++;
      if (done % 20 === 0) message("Importing: " + done + " of " + cards.length + "…", "ok");
    }
    renderList();
    message("Imported " + done + (done === 1 ? " contact" : " contacts") + (warnings.length ? "; " + warnings.length + " note" + (warnings.length > 1 ? "s" : "") + ": " + warnings.slice(0, 3).join("; ") : "."), "ok");
  } catch (err) {
    message("Import failed: " + say(err));
  }
}

async function exportAll() {
  try {
    const values = [...contacts.values()];
    let text, skipped = 0;
    try {
      text = await app.vcardExport(values, "4.0");
    } catch (err) {
      if (err.code !== "bad_input") throw err;
      // A contact another app wrote with members of other types (a number
      // for a name) cannot be written as vCard: the others are, one by one.
      const cards = [];
      for (const v of values) {
        try {
          cards.push(await app.vcardExport([v], "4.0"));
        } catch {
          skipped++;
        }
      }
      text = cards.join("");
    }
    const a = el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/vcard" })), download: "contacts.vcf" });
    document.body.append(a);
    a.click();
    a.remove();
    const done = values.length - skipped;
    message("Exported " + done + (done === 1 ? " contact" : " contacts") +
      (skipped ? "; " + skipped + " could not be written as vCard." : "."), "ok");
    $("#export").dataset.exported = text.length; // for the tests
  } catch (err) {
    message("Export failed: " + say(err));
  }
}

// ---- start ----

function bind() {
  $("#new-contact").addEventListener("click", () => open(""));
  $("#search").addEventListener("input", (e) => { filter = fold(e.target.value.trim()); renderList(); });
  $("#back").addEventListener("click", closeEditor);
  $("#editor").addEventListener("submit", (e) => e.preventDefault());
  // Any change in the editor (typing, a kind chosen) is saved by itself.
  $("#editor").addEventListener("input", edited);
  for (const b of document.querySelectorAll("[data-add]")) {
    b.addEventListener("click", () => {
      const k = b.dataset.add;
      const row = k === "addresses" ? addressRow() : entryRow(k);
      $("#" + k).append(row);
      row.querySelector("input").focus();
    });
  }
  $("#delete").addEventListener("click", async () => {
    if (!current || !(await ask("Delete " + displayName(contacts.get(current)) + "?", "Delete"))) return;
    const id = current;
    clearTimeout(saveTimer);
    dirty = false;
    try {
      await saving; // no save of it after its deletion
      await app.delete(DOCTYPE, id);
      contacts.delete(id);
      if (current === id) closeEditor();
      else renderList();
    } catch (err) {
      status(say(err));
    }
  });
  $("#photo-file").addEventListener("change", (e) => {
    const f = e.target.files[0];
    e.target.value = "";
    if (f) loadPhoto(f).catch(() => { $("#status").textContent = "That file is not an image this browser can read."; });
  });
  $("#photo-remove").addEventListener("click", () => { showPhoto(null); edited(); });
  $("#import-file").addEventListener("change", (e) => {
    const f = e.target.files[0];
    e.target.value = "";
    if (f) importFile(f);
  });
  $("#export").addEventListener("click", exportAll);
  // Nothing is lost by leaving: the edits are saved when the page is
  // hidden (another tab, the phone's home screen) or left; while a save is
  // still to finish, the browser asks before the page goes.
  document.addEventListener("visibilitychange", () => { if (document.hidden) flush(); });
  window.addEventListener("pagehide", () => flush());
  window.addEventListener("beforeunload", (e) => {
    flush();
    if (pending > 0) e.preventDefault();
  });
}

async function main() {
  app = await startApp("contacts");
  await live(app, DOCTYPE, {
    keep: (d) => {
      if (revs.get(d.id) >= d.rev) return false; // this tab's own write, already shown
      revs.set(d.id, d.rev);
      keep(d.id, d.value);
    },
    drop: (id) => {
      contacts.delete(id);
      flagged.delete(id);
      revs.delete(id);
    },
    draw: renderList,
    redraw: (ch) => {
      if (ch.id === current && !contacts.has(ch.id)) {
        dirty = false; // not saved over what another device did
        closeEditor();
        message(ch.deleted ? "This contact was deleted on another device." : "This contact was changed on another device into something Contacts cannot show.");
      }
      renderList();
    },
    onError: (err) => message(say(err)),
  });
  bind();
  $("#new-contact").disabled = false;
  if (app.intent && app.intent.action === "create" && app.intent.doctype === DOCTYPE) {
    // Another app asks for a contact: start one from what it gave.
    // It is saved when the person says so (Add contact), not by itself.
    const v = isObject(app.intent.value) ? { v: 1, ...app.intent.value } : {};
    const intent = app.intent;
    confirming = intent;
    open("");
    fillEditor(problem(v) ? { v: 1, name: {} } : v);
    $("#save").hidden = false;
    $("#intent-cancel").hidden = false;
    status("Not saved until you choose Add contact.");
    message("Another app asks to add this contact. Add it, or cancel.", "ok");
    $("#editor").addEventListener("submit", async () => {
      dirty = true;
      await flush();
      if (editing && editing.id) intent.done(editing.id);
      else status("Give a name, an organization or an email.");
    });
    $("#back").addEventListener("click", () => intent.cancel(), { once: true });
    $("#intent-cancel").addEventListener("click", () => intent.cancel(), { once: true });
  }
  // #open=<id> (Home's search links to a contact so) opens that contact.
  openLinks((id) => {
    if (contacts.has(id)) open(id);
    else if (flagged.has(id)) message("That contact could not be shown: it is malformed.");
  });
  document.body.dataset.ready = "true";
}

main().catch((err) => message(say(err)));
