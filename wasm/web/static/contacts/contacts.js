// Contacts: the people you know, with any number of fields and a photo;
// vCard 2.1, 3.0 and 4.0 import, 4.0 export (spec/contacts.md). Editing
// changes only the members shown, so what an imported card held beyond
// them (its extra properties) is kept and exported again.
import { Hearth } from "./hearth.js";

const DOCTYPE = "io.hearth.contacts";
const $ = (sel) => document.querySelector(sel);
const contacts = new Map(); // id → contact (the document's value)
let app;
let current = null; // id of the contact in the editor; "" for a new one
let filter = "";

const words = {
  integrity: "Integrity check failed: the server returned data that was altered or replayed. Nothing of it was used.",
  network: "The server cannot be reached.",
  session_ended: "This app's access ended. Open it again from Home.",
  not_found: "This contact no longer exists.",
};
const say = (err) => words[err && err.code] || (err && err.message) || String(err);

function message(text, kind = "error") {
  const m = $("#msg");
  m.textContent = text;
  m.className = "message " + kind;
  m.hidden = !text;
}

function el(tag, props = {}, ...kids) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
}

// norm makes any stored value a contact: other apps may write what they like.
function norm(v) {
  const c = v && typeof v === "object" && !Array.isArray(v) ? v : {};
  if (!c.name || typeof c.name !== "object") c.name = {};
  for (const k of ["emails", "phones", "addresses", "urls", "fields"]) if (!Array.isArray(c[k])) delete c[k];
  return c;
}

function displayName(c) {
  const n = c.name || {};
  return String(n.full || [n.given, n.family].filter(Boolean).join(" ") || (c.org && c.org.name) ||
    (c.emails && c.emails[0] && c.emails[0].value) || "No name");
}

function haystack(c) {
  const parts = [displayName(c), c.name.given, c.name.family, c.org && c.org.name, c.title, c.notes];
  for (const k of ["emails", "phones", "urls", "fields"]) for (const e of c[k] || []) parts.push(e.value, e.label);
  for (const a of c.addresses || []) parts.push(a.street, a.locality, a.region, a.postcode, a.country);
  return parts.filter(Boolean).join(" ").toLowerCase();
}

function renderList() {
  const items = [...contacts.entries()]
    .filter(([, c]) => !filter || haystack(c).includes(filter))
    .sort((a, b) => displayName(a[1]).localeCompare(displayName(b[1])));
  $("#list").replaceChildren(...items.map(([id, c]) => {
    const b = el("button", { type: "button" }, el("strong", { textContent: displayName(c) }),
      el("span", { className: "muted small", textContent: (c.org && c.org.name) || (c.emails && c.emails[0] && c.emails[0].value) || "" }));
    b.addEventListener("click", () => open(id));
    if (id === current) b.setAttribute("aria-current", "true");
    const li = el("li", {}, b);
    li.dataset.id = id;
    return li;
  }));
  $("#count").textContent = contacts.size === 1 ? "1 contact" : contacts.size + " contacts";
  $("#empty").hidden = contacts.size > 0 || current !== null;
}

// ---- the editor ----

const TYPES = { emails: ["home", "work", "other"], phones: ["cell", "home", "work", "other"], urls: ["home", "work", "other"] };

function entryRow(kind, e = {}) {
  const row = el("div", { className: "row entry" });
  if (kind === "fields") {
    row.append(el("input", { className: "label", placeholder: "Label", value: e.label || "", ariaLabel: "Label" }));
  } else {
    const sel = el("select", { className: "type", ariaLabel: "Kind" });
    const types = TYPES[kind];
    const have = (e.types || []).map((t) => String(t).toLowerCase()).find((t) => types.includes(t)) || "";
    sel.append(el("option", { value: "", textContent: "—" }), ...types.map((t) => el("option", { value: t, textContent: t, selected: t === have })));
    row.append(sel);
  }
  row.append(el("input", { className: "value", value: e.value || "", ariaLabel: "Value",
    type: kind === "emails" ? "email" : kind === "phones" ? "tel" : kind === "urls" ? "url" : "text" }));
  const rm = el("button", { type: "button", className: "secondary", textContent: "×", ariaLabel: "Remove" });
  rm.addEventListener("click", () => row.remove());
  row.append(rm);
  row._entry = e; // what the editor does not show (label, params, group) is kept
  return row;
}

const ADDR = ["street", "locality", "postcode", "region", "country"];
const ADDR_WORDS = { street: "Street", locality: "City", postcode: "Postcode", region: "Region", country: "Country" };

function addressRow(a = {}) {
  const row = el("div", { className: "row entry address" });
  for (const k of ADDR) row.append(el("input", { className: k, placeholder: ADDR_WORDS[k], value: a[k] || "", ariaLabel: ADDR_WORDS[k] }));
  const rm = el("button", { type: "button", className: "secondary", textContent: "×", ariaLabel: "Remove" });
  rm.addEventListener("click", () => row.remove());
  row.append(rm);
  row._entry = a;
  return row;
}

function fillEditor(c) {
  const n = c.name || {};
  $("#full").value = n.full || "";
  $("#given").value = n.given || "";
  $("#family").value = n.family || "";
  $("#org").value = (c.org && c.org.name) || "";
  $("#title").value = c.title || "";
  $("#birthday").value = c.birthday || "";
  $("#notes").value = c.notes || "";
  for (const k of ["emails", "phones", "urls", "fields"]) $("#" + k).replaceChildren(...(c[k] || []).map((e) => entryRow(k, e)));
  $("#addresses").replaceChildren(...(c.addresses || []).map((a) => addressRow(a)));
  showPhoto(c.photo);
  const kept = (c.extra || []).length;
  $("#kept").textContent = kept ? kept + " more field" + (kept > 1 ? "s" : "") + " from the imported card, kept for export." : "";
  $("#kept").hidden = !kept;
}

let photo = null; // the photo in the editor: { type, data } or { uri } or null
function showPhoto(p) {
  photo = p || null;
  const img = $("#photo");
  if (p && p.data && /^image\/(jpeg|png|gif|webp)$/.test(p.type || "")) {
    img.src = "data:" + p.type + ";base64," + p.data;
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
  c.name = { ...(c.name || {}), full: $("#full").value.trim(), given: $("#given").value.trim(), family: $("#family").value.trim() };
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
        const others = (e.types || []).filter((x) => !TYPES[k].includes(String(x).toLowerCase()));
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

async function open(id) {
  current = id;
  fillEditor(id === "" ? { v: 1, name: {} } : contacts.get(id));
  $("#editor").hidden = false;
  $("#empty").hidden = true;
  document.querySelector(".notes").classList.add("editing");
  $("#delete").hidden = id === "";
  $("#status").textContent = "";
  renderList();
}

function closeEditor() {
  current = null;
  $("#editor").hidden = true;
  document.querySelector(".notes").classList.remove("editing");
  renderList();
}

async function save() {
  const c = fromEditor(current ? contacts.get(current) : null);
  if (!displayName(c) || displayName(c) === "No name") {
    $("#status").textContent = "Give a name, an organization or an email.";
    return null;
  }
  try {
    let id = current;
    if (id) await app.put(DOCTYPE, id, c);
    else ({ id } = await app.create(DOCTYPE, c));
    contacts.set(id, c);
    current = id;
    $("#delete").hidden = false;
    $("#status").textContent = "Saved";
    renderList();
    return id;
  } catch (err) {
    $("#status").textContent = say(err);
    return null;
  }
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
    const text = await app.vcardExport(values, "4.0");
    const a = el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/vcard" })), download: "contacts.vcf" });
    document.body.append(a);
    a.click();
    a.remove();
    message("Exported " + values.length + (values.length === 1 ? " contact." : " contacts."), "ok");
    $("#export").dataset.exported = text.length; // for the tests
  } catch (err) {
    message("Export failed: " + say(err));
  }
}

// ---- start ----

function bind() {
  $("#new-contact").addEventListener("click", () => open(""));
  $("#search").addEventListener("input", (e) => { filter = e.target.value.toLowerCase().trim(); renderList(); });
  $("#back").addEventListener("click", closeEditor);
  $("#editor").addEventListener("submit", (e) => { e.preventDefault(); save(); });
  for (const b of document.querySelectorAll("[data-add]")) {
    b.addEventListener("click", () => {
      const k = b.dataset.add;
      const row = k === "addresses" ? addressRow() : entryRow(k);
      $("#" + k).append(row);
      row.querySelector("input").focus();
    });
  }
  $("#delete").addEventListener("click", async () => {
    if (!current || !confirm("Delete " + displayName(contacts.get(current)) + "?")) return;
    try {
      await app.delete(DOCTYPE, current);
      contacts.delete(current);
      closeEditor();
    } catch (err) {
      $("#status").textContent = say(err);
    }
  });
  $("#photo-file").addEventListener("change", (e) => {
    const f = e.target.files[0];
    e.target.value = "";
    if (f) loadPhoto(f).catch(() => { $("#status").textContent = "That file is not an image this browser can read."; });
  });
  $("#photo-remove").addEventListener("click", () => showPhoto(null));
  $("#import-file").addEventListener("change", (e) => {
    const f = e.target.files[0];
    e.target.value = "";
    if (f) importFile(f);
  });
  $("#export").addEventListener("click", exportAll);
}

// #open=<id> (Home's search links to a contact so) opens that contact.
function openFromHash() {
  if (!location.hash.startsWith("#open=")) return;
  let id = "";
  try { id = decodeURIComponent(location.hash.slice("#open=".length)); } catch { /* a malformed link */ }
  history.replaceState(null, "", location.pathname + location.search);
  if (contacts.has(id)) open(id);
}

async function main() {
  app = await Hearth.openApp({ slug: "contacts" });
  app.onsessionended = () => app.reconnect();
  $("#who").textContent = app.user;
  $("#home-link").href = app.home;
  for (const d of await app.list(DOCTYPE)) contacts.set(d.id, norm(d.value));
  renderList();
  app.subscribe([DOCTYPE], (ch) => {
    if (ch.deleted) contacts.delete(ch.id);
    else contacts.set(ch.id, norm(ch.value));
    renderList();
  }, (err) => message(say(err)));
  bind();
  $("#new-contact").disabled = false;
  if (app.intent && app.intent.action === "create" && app.intent.doctype === DOCTYPE) {
    // Another app asks for a contact: start one from what it gave.
    const v = app.intent.value && typeof app.intent.value === "object" ? app.intent.value : {};
    const intent = app.intent;
    await open("");
    fillEditor(norm({ v: 1, ...v }));
    message("Another app asks to add this contact. Save it, or go back.", "ok");
    $("#editor").addEventListener("submit", async () => {
      const id = await save();
      if (id) intent.done(id);
    }, { once: true });
    $("#back").addEventListener("click", () => intent.cancel(), { once: true });
  }
  openFromHash();
  addEventListener("hashchange", openFromHash);
  document.body.dataset.ready = "true";
}

main().catch((err) => message(say(err)));
