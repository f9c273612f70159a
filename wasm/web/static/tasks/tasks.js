// Tasks: to-do lists, kept in step with other tabs and devices. It serves
// the intent "create a task" (spec/apps.md §5): another app (Notes) asks
// through Home, and the person finishes here.
import { $, appWords, deleteMalformed, live, sayer, show, startApp } from "./hearth-kit.js";
import { isObject, text, time, notText, clip, flaggedRow, notA } from "./values.js";

const DOCTYPE = "io.hearth.tasks";
const tasks = new Map(); // id → { title, done, created, note? }, or { bad } when it cannot be shown
let app;

const say = sayer(appWords);
const fail = (err) => show($("#msg"), say(err));

// norm makes a stored value a task, or { bad: why } when it cannot be one:
// other clients or apps granted this doctype may write what they like.
// Text (a document that is not JSON) is a task's title; an object's
// members are converted only from primitive values (values.js).
function norm(v) {
  try {
    if (typeof v === "string") return { title: v, done: false, created: 0 };
    if (!isObject(v)) return { bad: notA(v, "a task") };
    if (notText(v.title)) return { bad: "its title is not text" };
    return { ...v, title: text(v.title), done: v.done === true, created: time(v.created) };
  } catch {
    return { bad: "it cannot be read" };
  }
}

// deleteTask deletes a task (one that cannot be shown once the person
// confirms).
function deleteTask(id) {
  const gone = () => { tasks.delete(id); render(); };
  if (tasks.get(id)?.bad) return deleteMalformed(app, DOCTYPE, id, "task", gone, fail);
  app.delete(DOCTYPE, id).then(gone, fail);
}

function render() {
  const items = [...tasks.entries()].sort((a, b) => (!!b[1].bad - !!a[1].bad) || (a[1].done - b[1].done) || (b[1].created - a[1].created));
  $("#list").replaceChildren(...items.map(([id, t]) => {
    if (t.bad) {
      const li = flaggedRow("This task could not be shown", t.bad, () => deleteTask(id));
      li.dataset.id = id;
      return li;
    }
    const li = document.createElement("li");
    li.dataset.id = id;
    const box = Object.assign(document.createElement("input"), { type: "checkbox", checked: t.done });
    box.setAttribute("aria-label", "Done");
    box.addEventListener("change", () => save(id, { ...t, done: box.checked }));
    const title = Object.assign(document.createElement("span"), { className: "grow task-title", textContent: clip(t.title, 500) });
    if (t.done) title.classList.add("muted");
    const del = Object.assign(document.createElement("button"), { className: "secondary", textContent: "Delete" });
    del.addEventListener("click", () => deleteTask(id));
    li.append(box, title, del);
    return li;
  }));
  $("#empty").hidden = tasks.size > 0;
}

async function save(id, t) {
  try {
    await app.put(DOCTYPE, id, t);
    tasks.set(id, t);
    render();
  } catch (err) {
    fail(err);
  }
}

async function create(title, extra = {}) {
  const value = { ...extra, title, done: false, created: Date.now() };
  const { id } = await app.create(DOCTYPE, value);
  tasks.set(id, value);
  render();
  return id;
}

// serve shows the task another app asks for, filled in; the person creates
// it (or not) and goes back to that app.
function serve(intent) {
  if (intent.action !== "create" || intent.doctype !== DOCTYPE) {
    intent.cancel();
    return;
  }
  const v = isObject(intent.value) ? intent.value : { title: text(intent.value) };
  $("#intent").hidden = false;
  // Home named the asking app and the person agreed there; the name in this
  // page's address could come from anyone's link, so it is not repeated.
  $("#intent-from").textContent = "Another app asks for this task. Change it if you like, then create it, or cancel.";
  const input = $("#intent-form").elements.namedItem("title");
  input.value = clip(text(v.title), 500);
  input.focus();
  $("#intent-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const extra = typeof v.note === "string" ? { note: v.note } : {};
      intent.done(await create(input.value.trim(), extra));
    } catch (err) {
      fail(err);
    }
  });
  $("#intent-cancel").addEventListener("click", () => intent.cancel());
}

async function main() {
  app = await startApp("tasks");
  await live(app, DOCTYPE, {
    keep: (d) => tasks.set(d.id, norm(d.value)),
    drop: (id) => tasks.delete(id),
    draw: render,
    onError: fail,
  });
  $("#add").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = e.target.elements.namedItem("title");
    try {
      await create(input.value.trim());
      input.value = "";
    } catch (err) {
      fail(err);
    }
  });
  if (app.intent) serve(app.intent);
  document.body.dataset.ready = "true";
}

main().catch(fail);
