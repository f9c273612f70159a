package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

const tasksDoctype = "io.hearth.tasks"

// taskIDs is the ids of the rows of a task list of the page (sel: "#open",
// "#done-list"), top to bottom.
func taskIDs(tab *browsertest.Tab, sel string) string {
	return browsertest.Eval[string](tab, `[...document.querySelectorAll(`+jsString(sel+" li[data-id]:not([data-flagged])")+`)].map(li => li.dataset.id).join(",")`)
}

// waitTaskIDs waits for the rows of sel to be ids, in that order.
func waitTaskIDs(t *testing.T, tab *browsertest.Tab, sel string, ids ...string) {
	t.Helper()
	want := strings.Join(ids, ",")
	deadline := time.Now().Add(browsertest.Timeout)
	for taskIDs(tab, sel) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: rows %q, want %q (problems %q)", sel, taskIDs(tab, sel), want, tab.Problems())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rowOf is the CSS selector of a task's row.
func rowOf(id string) string { return `li[data-id="` + id + `"]` }

// click clicks an element by a query at the moment of the click (a change
// from the feed may draw the list again, replacing the node).
func click(tab *browsertest.Tab, sel string) {
	tab.WaitTrue(`(() => { const e = document.querySelector(` + jsString(sel) + `); if (!e) return false; e.click(); return true; })()`)
}

// focusOn focuses an element by a query at that moment.
func focusOn(tab *browsertest.Tab, sel string) {
	tab.WaitTrue(`(() => { const e = document.querySelector(` + jsString(sel) + `); if (!e) return false; e.focus(); return document.activeElement === e; })()`)
}

// taskDoc reads a task natively as a map.
func taskDoc(t *testing.T, dev *client.Client, id string) (map[string]any, uint64) {
	t.Helper()
	d, err := dev.Get(context.Background(), tasksDoctype, id)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	var m map[string]any
	if err := json.Unmarshal(d.Content, &m); err != nil {
		t.Fatalf("%s: %s: %v", id, d.Content, err)
	}
	return m, d.Rev
}

// waitDoc waits until the task's stored content satisfies ok.
func waitDoc(t *testing.T, dev *client.Client, id string, what string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(browsertest.Timeout)
	for {
		var m map[string]any
		d, err := dev.Get(context.Background(), tasksDoctype, id)
		if err == nil && json.Unmarshal(d.Content, &m) == nil && ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: never %s: %v %v", id, what, m, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// addTask adds a task to the open list through the page and returns its id.
func addTask(t *testing.T, tab *browsertest.Tab, title, due string) string {
	t.Helper()
	before := browsertest.Eval[string](tab, `[...document.querySelectorAll("#open li[data-id]")].map(li => li.dataset.id).join(",")`)
	typeInto(tab, "#add [name=title]", title)
	typeInto(tab, "#add [name=due]", due)
	click(tab, "#add button[type=submit]")
	tab.WaitTrue(`document.querySelector("#add [name=title]").value === ""`)
	id := browsertest.Eval[string](tab, `(() => { const was = new Set(`+jsString(before)+`.split(",")); return [...document.querySelectorAll("#open li[data-id]")].map(li => li.dataset.id).find(id => !was.has(id)) || ""; })()`)
	if id == "" {
		t.Fatalf("adding %q made no row", title)
	}
	return id
}

// chooseList shows the list named name, from the lists.
func chooseList(t *testing.T, tab *browsertest.Tab, name string) string {
	t.Helper()
	tab.WaitTrue(`[...document.querySelectorAll("#lists button")].some(b => b.querySelector(".list-name").textContent === ` + jsString(name) + `)`)
	id := browsertest.Eval[string](tab, `(() => { const b = [...document.querySelectorAll("#lists button")].find(b => b.querySelector(".list-name").textContent === `+jsString(name)+`); b.click(); return b.dataset.list; })()`)
	waitText(t, tab, "#list-name", name)
	return id
}

// dragTask drags a task's handle with the mouse (real input events, which
// Chromium turns into pointer events) to the middle of another row, in steps.
func dragTask(t *testing.T, tab *browsertest.Tab, id, ontoID string) {
	t.Helper()
	type pt struct{ X, Y float64 }
	at := func(sel string) pt {
		return browsertest.Eval[pt](tab, `(() => { const e = document.querySelector(`+jsString(sel)+`); e.scrollIntoView({ block: "center" }); const r = e.getBoundingClientRect(); return { X: r.left + r.width / 2, Y: r.top + r.height / 2 }; })()`)
	}
	from := at(rowOf(id) + " .handle")
	to := at(rowOf(ontoID))
	from = at(rowOf(id) + " .handle") // after any scrolling
	held := func(p *input.DispatchMouseEventParams) { p.Button, p.Buttons = input.MouseButtonLeft, 1 }
	acts := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(chromedp.MouseMoved, from.X, from.Y),
		chromedp.MouseEvent(chromedp.MousePressed, from.X, from.Y, held, chromedp.ClickCount(1)),
	}
	const steps = 12
	for i := 1; i <= steps; i++ {
		y := from.Y + (to.Y-from.Y)*float64(i)/steps
		// A little past the target's middle, so that the row takes its slot.
		if i == steps {
			if to.Y < from.Y {
				y -= 6
			} else {
				y += 6
			}
		}
		acts = append(acts, chromedp.MouseEvent(chromedp.MouseMoved, from.X, y, held))
	}
	acts = append(acts, chromedp.MouseEvent(chromedp.MouseReleased, from.X, to.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	tab.Do(acts...)
}

// touchDrag drags a task's handle with a finger (touch events) to the
// middle of another row.
func touchDrag(t *testing.T, tab *browsertest.Tab, id, ontoID string) {
	t.Helper()
	type pt struct{ X, Y float64 }
	at := func(sel string) pt {
		return browsertest.Eval[pt](tab, `(() => { const r = document.querySelector(`+jsString(sel)+`).getBoundingClientRect(); return { X: r.left + r.width / 2, Y: r.top + r.height / 2 }; })()`)
	}
	from, to := at(rowOf(id)+" .handle"), at(rowOf(ontoID))
	touch := func(typ input.DispatchTouchEventType, x, y float64) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			p := input.DispatchTouchEventParams{Type: typ, TouchPoints: []*input.TouchPoint{{X: x, Y: y}}}
			if typ == input.DispatchTouchEventTypeTouchEnd {
				p.TouchPoints = []*input.TouchPoint{}
			}
			_, err := cdp.Call(ctx, tg, input.DispatchTouchEvent, p)
			return err
		})
	}
	acts := []chromedp.Action[chromedp.Void]{touch(input.DispatchTouchEventTypeTouchStart, from.X, from.Y)}
	for i := 1; i <= 8; i++ {
		y := from.Y + (to.Y-from.Y)*float64(i)/8
		if i == 8 {
			y += 6
		}
		acts = append(acts, touch(input.DispatchTouchEventTypeTouchMove, from.X, y))
	}
	acts = append(acts, touch(input.DispatchTouchEventTypeTouchEnd, 0, 0))
	tab.Do(acts...)
}

// atPhone runs f with the tab at the phone's size, then back at the desktop's.
func atPhone(tab *browsertest.Tab, f func()) {
	tab.Do(chromedp.EmulateViewport(browsertest.Phone[0], browsertest.Phone[1], chromedp.EmulateScale(2), chromedp.EmulateMobile))
	defer tab.Do(chromedp.EmulateViewport(browsertest.Desktop[0], browsertest.Desktop[1]))
	time.Sleep(150 * time.Millisecond)
	f()
}

// fitsWidth fails when the page is wider than the window.
func fitsWidth(t *testing.T, tab *browsertest.Tab, where string) {
	t.Helper()
	if !browsertest.Eval[bool](tab, `document.documentElement.scrollWidth <= window.innerWidth + 1`) {
		t.Fatalf("%s: the page is wider than the window: %d > %d", where,
			browsertest.Eval[int](tab, `document.documentElement.scrollWidth`), browsertest.Eval[int](tab, `window.innerWidth`))
	}
}

// TestWebTasks: Tasks, installed from the store, keeps several lists (made,
// renamed, deleted after a question when they hold tasks), tasks with due
// dates in words (overdue said so), done tasks struck through in a Done
// section that folds, an order changed by a real drag (mouse and touch)
// and from the keyboard with one write per move (and the list numbered
// again when there is no room), a quiet delete that Undo (or Ctrl+Z)
// brings back under the same id; a task another device writes appears
// live, a task from before lists shows in the default list, and
// everything is there again after a reload. Screenshots: the empty list,
// a task's form, the due-date sort, the Undo, a full list with long
// titles, the Done section open, the lists on a phone, the question.
func TestWebTasks(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	const user, password = "tess", "a tasks password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	day := func(n int) string { return now.AddDate(0, 0, n).Format("2006-01-02") }

	tab := env.NewTab(t)
	signInHome(t, env, tab, user, password)
	waitText(t, tab, "#store", "Tasks")
	tab.Do(chromedp.Click(chromedp.CSS(`[data-install=tasks]`)))
	waitView(t, tab, "install", "#store-msg")
	waitText(t, tab, "#install-scopes", "Read, write and delete your tasks — Your tasks and your lists of tasks: to show them, add, change, check off, reorder and delete them.")
	tab.Do(chromedp.Click(chromedp.CSS("#install-allow")))
	tasksURL := env.AppURL("tasks", user)
	tab.WaitOrigin(tasksURL)
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))

	// The empty state.
	waitText(t, tab, "#list-name", "My tasks")
	waitText(t, tab, "#empty", "Nothing to do yet")
	tab.Screenshots("empty")

	// A task written before lists (no list, order or due date) arrives
	// live, in the default list.
	if _, err := dev.Put(ctx, tasksDoctype, "legacy", []byte(`{"title":"Water the plants","done":false,"created":1700000000000}`)); err != nil {
		t.Fatal(err)
	}
	waitTaskIDs(t, tab, "#open", "legacy")

	// Two lists.
	typeInto(tab, "#new-list [name=name]", "Groceries")
	click(tab, "#new-list button")
	waitText(t, tab, "#list-name", "Groceries")
	groceries := browsertest.Eval[string](tab, `document.querySelector("#lists [aria-current=true]").dataset.list`)
	if m, _ := taskDoc(t, dev, groceries); m["kind"] != "list" || m["name"] != "Groceries" {
		t.Fatalf("the list is stored as %v", m)
	}
	const workName = "Work: the quarterly report, the slides for Monday and everything else that has to be done before the holidays"
	typeInto(tab, "#new-list [name=name]", workName)
	click(tab, "#new-list button")
	waitText(t, tab, "#list-name", workName)
	work := browsertest.Eval[string](tab, `document.querySelector("#lists [aria-current=true]").dataset.list`)
	// A second list of a name one has (case and accents aside) is refused.
	typeInto(tab, "#new-list [name=name]", "GROCERIES")
	click(tab, "#new-list button")
	waitText(t, tab, "#msg", "You have a list called “GROCERIES” already.")
	if n := browsertest.Eval[int](tab, `document.querySelectorAll("#lists li").length`); n != 3 {
		t.Fatalf("%d lists after a second Groceries", n)
	}
	typeInto(tab, "#new-list [name=name]", "")

	// Tasks with due dates, in words: one overdue (said, not only coloured).
	chooseList(t, tab, "Groceries")
	milk := addTask(t, tab, "Milk", day(0))
	bread := addTask(t, tab, "Bread", day(-2))
	eggs := addTask(t, tab, "Eggs", day(1))
	apples := addTask(t, tab, "Apples", "")
	waitTaskIDs(t, tab, "#open", apples, eggs, bread, milk) // a new task goes first
	waitText(t, tab, rowOf(milk)+" .due", "Today")
	waitText(t, tab, rowOf(eggs)+" .due", "Tomorrow")
	waitText(t, tab, rowOf(bread)+" .due.overdue", "Overdue")
	if browsertest.Eval[bool](tab, `!!document.querySelector(`+jsString(rowOf(apples)+" .due")+`)`) {
		t.Fatal("a task without a due date shows one")
	}
	if m, _ := taskDoc(t, dev, bread); m["list"] != groceries || m["due"] != day(-2) || m["title"] != "Bread" {
		t.Fatalf("Bread is stored as %v", m)
	}
	// The legacy task stayed in the default list.
	if strings.Contains(taskIDs(tab, "#open"), "legacy") {
		t.Fatal("the legacy task shows in Groceries")
	}

	// Done: struck through, in the Done section, folded.
	click(tab, rowOf(milk)+" input[type=checkbox]")
	waitTaskIDs(t, tab, "#done-list", milk)
	waitText(t, tab, "#done-toggle", "Done (1)")
	if !browsertest.Eval[bool](tab, `document.querySelector("#done-list").hidden && document.querySelector("#done-toggle").getAttribute("aria-expanded") === "false"`) {
		t.Fatal("the Done section is not folded")
	}
	if d := browsertest.Eval[string](tab, `getComputedStyle(document.querySelector(`+jsString("#done-list "+rowOf(milk)+" .task-title")+`)).textDecorationLine`); !strings.Contains(d, "line-through") {
		t.Fatalf("a done task is not struck through: %q", d)
	}
	waitDoc(t, dev, milk, "done", func(m map[string]any) bool { return m["done"] == true && m["doneAt"] != nil })
	waitTaskIDs(t, tab, "#open", apples, eggs, bread)

	// A real drag: Bread to the top. One move writes one document.
	revs := map[string]uint64{}
	for _, id := range []string{apples, eggs, bread, milk} {
		_, revs[id] = taskDoc(t, dev, id)
	}
	dragTask(t, tab, bread, apples)
	waitTaskIDs(t, tab, "#open", bread, apples, eggs)
	for deadline := time.Now().Add(browsertest.Timeout); ; time.Sleep(50 * time.Millisecond) {
		if _, rev := taskDoc(t, dev, bread); rev > revs[bread] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the move was not saved")
		}
	}
	for _, id := range []string{apples, eggs, milk} {
		if _, rev := taskDoc(t, dev, id); rev != revs[id] {
			t.Fatalf("moving Bread wrote %s too (rev %d → %d)", id, revs[id], rev)
		}
	}

	// The keyboard: Alt+Down on a task's checkbox, Up on its handle; the
	// focus stays with the task.
	focusOn(tab, rowOf(bread)+" input[type=checkbox]")
	tab.Do(chromedp.KeyEvent(kb.ArrowDown, chromedp.KeyModifiers(chromedp.ModifierAlt)))
	waitTaskIDs(t, tab, "#open", apples, bread, eggs)
	tab.WaitTrue(`document.activeElement.closest("li")?.dataset.id === ` + jsString(bread))
	tab.Do(chromedp.KeyEvent(kb.ArrowDown, chromedp.KeyModifiers(chromedp.ModifierAlt)))
	waitTaskIDs(t, tab, "#open", apples, eggs, bread)
	focusOn(tab, rowOf(eggs)+" .handle")
	tab.Do(chromedp.KeyEvent(kb.ArrowUp))
	waitTaskIDs(t, tab, "#open", eggs, apples, bread)
	tab.WaitTrue(`document.activeElement.matches(".handle") && document.activeElement.closest("li").dataset.id === ` + jsString(eggs))
	// A finger: Eggs back down below Apples.
	touchDrag(t, tab, eggs, apples)
	waitTaskIDs(t, tab, "#open", apples, eggs, bread)
	focusOn(tab, rowOf(eggs)+" .handle")
	tab.Do(chromedp.KeyEvent(kb.Home))
	waitTaskIDs(t, tab, "#open", eggs, apples, bread)
	waitDoc(t, dev, eggs, "moved up", func(map[string]any) bool {
		mo := func(id string) float64 { m, _ := taskDoc(t, dev, id); f, _ := m["order"].(float64); return f }
		return mo(eggs) < mo(apples) && mo(apples) < mo(bread)
	})

	// A due date set, another cleared, in a task's form.
	click(tab, rowOf(apples)+" .task-open")
	typeInto(tab, `[data-edit="`+apples+`"] [name=due]`, day(10))
	tab.Screenshots("edit", `[data-edit="`+apples+`"]`)
	click(tab, `[data-edit="`+apples+`"] button[type=submit]`)
	tab.WaitTrue(`document.querySelector(` + jsString(rowOf(apples)+" .due") + `)?.dataset.due === ` + jsString(day(10)))
	click(tab, rowOf(eggs)+" .task-open")
	click(tab, `[data-edit="`+eggs+`"] button.secondary`) // Clear date
	click(tab, `[data-edit="`+eggs+`"] button[type=submit]`)
	tab.WaitTrue(`!document.querySelector(` + jsString(rowOf(eggs)+" .due") + `) && !document.querySelector("form.task-edit")`)
	waitDoc(t, dev, eggs, "without a due date", func(m map[string]any) bool { _, has := m["due"]; return !has })
	waitDoc(t, dev, apples, "due", func(m map[string]any) bool { return m["due"] == day(10) })

	// Sorted by due date: grouped, overdue first.
	tab.Do(chromedp.SetValue(chromedp.CSS("#sort"), "due"))
	browsertest.Eval[bool](tab, `(document.querySelector("#sort").dispatchEvent(new Event("change")), true)`)
	tab.WaitTrue(`[...document.querySelectorAll("#open h2.group")].map(h => h.textContent).join("|") === "Overdue (1)|Later (1)|No due date (1)"`)
	waitTaskIDs(t, tab, "#open", bread, apples, eggs)
	tab.Screenshots("by-due-date")
	tab.Do(chromedp.SetValue(chromedp.CSS("#sort"), ""))
	browsertest.Eval[bool](tab, `(document.querySelector("#sort").dispatchEvent(new Event("change")), true)`)
	waitTaskIDs(t, tab, "#open", eggs, apples, bread)

	// A quiet delete: no question; Undo brings it back, same id.
	click(tab, rowOf(apples)+" button.remove")
	waitTaskIDs(t, tab, "#open", eggs, bread)
	if browsertest.Eval[bool](tab, `!!document.querySelector("dialog[open]")`) {
		t.Fatal("deleting a task asked")
	}
	waitText(t, tab, "#toast-text", "Deleted “Apples”")
	tab.WaitTrue(`!document.querySelector("#toast").hidden`)
	deadline := time.Now().Add(browsertest.Timeout)
	for {
		_, err := dev.Get(ctx, tasksDoctype, apples)
		if errors.Is(err, client.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Apples was not deleted: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	tab.Screenshots("undo")
	click(tab, "#undo")
	waitTaskIDs(t, tab, "#open", eggs, apples, bread)
	waitDoc(t, dev, apples, "restored", func(m map[string]any) bool { return m["title"] == "Apples" && m["due"] == day(10) })
	tab.WaitTrue(`document.querySelector("#toast").hidden`)
	// From the keyboard: Delete on a task, then Ctrl+Z.
	focusOn(tab, rowOf(bread)+" .handle")
	tab.Do(chromedp.KeyEvent(kb.Delete))
	waitTaskIDs(t, tab, "#open", eggs, apples)
	tab.WaitTrue(`!document.querySelector("#toast").hidden && document.activeElement.closest("li")?.dataset.id === ` + jsString(apples))
	tab.Do(chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	waitTaskIDs(t, tab, "#open", eggs, apples, bread)
	waitDoc(t, dev, bread, "restored", func(m map[string]any) bool { return m["title"] == "Bread" })

	// A second device writes to Work: it appears live, with many tasks and
	// long titles.
	dev2, err := client.Login(ctx, env.ServerURL(), user, password, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev2.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	chooseList(t, tab, workName)
	long := "Write the introduction of the quarterly report, with the figures from the finance team and the two charts that Lou asked for in the last meeting"
	var workIDs []string
	for i := 0; i < 14; i++ {
		v := map[string]any{"title": fmt.Sprintf("Task %d of the report", i+1), "list": work, "order": float64(i * 1024), "created": now.UnixMilli()}
		switch {
		case i%5 == 0:
			v["title"] = long
		case i%4 == 1:
			v["title"] = "Supercalifragilisticexpialidocious-" + strings.Repeat("x", 60)
		}
		if i%3 == 0 {
			v["due"] = day(i - 4)
		}
		if i >= 11 {
			v["done"], v["doneAt"] = true, float64(now.UnixMilli()+int64(i))
		}
		b, _ := json.Marshal(v)
		id, _, err := dev2.Create(ctx, tasksDoctype, b)
		if err != nil {
			t.Fatal(err)
		}
		workIDs = append(workIDs, id)
	}
	waitTaskIDs(t, tab, "#open", workIDs[:11]...)
	waitText(t, tab, "#done-toggle", "Done (3)")
	fitsWidth(t, tab, "desktop")
	atPhone(tab, func() { fitsWidth(t, tab, "phone") })
	tab.Screenshots("full")
	click(tab, "#done-toggle")
	tab.WaitTrue(`!document.querySelector("#done-list").hidden && document.querySelector("#done-toggle").getAttribute("aria-expanded") === "true"`)
	tab.Screenshots("done-open", "#done-section")

	// The lists on a phone: a menu.
	atPhone(tab, func() {
		if browsertest.Eval[bool](tab, `getComputedStyle(document.querySelector("#lists-panel")).display !== "none"`) {
			t.Fatal("the lists show on a phone before the menu is opened")
		}
		tab.Do(chromedp.Click(chromedp.CSS("#lists-toggle")))
		tab.WaitTrue(`getComputedStyle(document.querySelector("#lists-panel")).display !== "none" && document.activeElement.dataset.list === ` + jsString(work))
		fitsWidth(t, tab, "phone, the lists open")
	})
	browsertest.Eval[bool](tab, `(scrollTo(0, 0), true)`)
	tab.Screenshots("lists-menu")
	atPhone(tab, func() {
		tab.Do(chromedp.KeyEvent(kb.Escape))
		tab.WaitTrue(`getComputedStyle(document.querySelector("#lists-panel")).display === "none" && document.activeElement.id === "lists-toggle"`)
	})

	// Rename a list.
	chooseList(t, tab, "Groceries")
	click(tab, "#rename-list")
	typeInto(tab, "#rename-form [name=name]", "Shopping")
	click(tab, "#rename-form button[type=submit]")
	waitText(t, tab, "#list-name", "Shopping")
	waitText(t, tab, "#lists", "Shopping")
	waitDoc(t, dev, groceries, "renamed", func(m map[string]any) bool { return m["name"] == "Shopping" && m["kind"] == "list" })

	// A reload: the list shown, its order, due dates and done task, the
	// folded Done section, the lists, and the legacy task in the default list.
	tab.Open(tasksURL + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	waitText(t, tab, "#list-name", "Shopping")
	waitTaskIDs(t, tab, "#open", eggs, apples, bread)
	waitTaskIDs(t, tab, "#done-list", milk)
	waitText(t, tab, rowOf(bread)+" .due.overdue", "Overdue")
	tab.WaitTrue(`document.querySelector(` + jsString(rowOf(apples)+" .due") + `).dataset.due === ` + jsString(day(10)))
	tab.WaitTrue(`document.querySelector("#done-list").hidden`)
	waitText(t, tab, "#lists", workName)
	chooseList(t, tab, workName)
	tab.WaitTrue(`!document.querySelector("#done-list").hidden`) // Work's Done section was left open
	chooseList(t, tab, "My tasks")
	waitTaskIDs(t, tab, "#open", "legacy")
	waitText(t, tab, "#open", "Water the plants")

	// Neighbours without room between them (two tasks of one order): the
	// list is numbered again, and the order holds.
	for _, tie := range []string{"tie1", "tie2"} {
		if _, err := dev.Put(ctx, tasksDoctype, tie, []byte(`{"title":"Tied `+tie+`","order":5}`)); err != nil {
			t.Fatal(err)
		}
	}
	waitTaskIDs(t, tab, "#open", "legacy", "tie1", "tie2")
	focusOn(tab, rowOf("legacy")+" .handle")
	tab.Do(chromedp.KeyEvent(kb.ArrowDown))
	waitTaskIDs(t, tab, "#open", "tie1", "legacy", "tie2")
	waitDoc(t, dev, "tie2", "numbered again", func(m map[string]any) bool { return m["order"] == float64(2048) })
	waitDoc(t, dev, "legacy", "numbered again", func(m map[string]any) bool { return m["order"] == float64(1024) && m["title"] == "Water the plants" })
	waitDoc(t, dev, "tie1", "numbered again", func(m map[string]any) bool { return m["order"] == float64(0) })

	// What the page reads from odd values (spec/tasks.md §2, §5).
	got := browsertest.Eval[string](tab, `(async () => {
		const m = await import("/tasks-model.js");
		const r = (v) => { const d = m.read(v); return d.bad ? "bad:" + d.what : d.kind + (d.kind === "task" ? ":" + d.list + ":" + d.due + ":" + d.order + ":" + d.done : d.kind === "list" ? ":" + d.name : ""); };
		return [
			r("Plain text"), r({ title: "T", list: 7, due: "2025-02-30", order: "1", created: 5, done: "yes" }),
			r({ title: "T", due: "2024-02-29", order: 3, list: "x" }), r({ kind: "list", name: 12 }), r({ kind: "list", name: {} }),
			r({ kind: "tag", name: "later" }), r({ kind: 1 }), r({ kind: null, title: "No kind" }), r([]),
			m.between(1, 2), m.between(1, 1), m.between(undefined, 0), m.between(3, undefined), m.between(undefined, undefined),
			m.dueWords("2025-03-03", "2025-03-04", false).text, m.dueWords("2025-03-03", "2025-03-04", true).overdue,
			m.dueWords("2025-03-04", "2025-03-04", false).text, m.dueWords("2025-03-05", "2025-03-04", false).text,
			m.dueWords("2025-02-01", "2025-03-04", false).overdue, m.daysBetween("2024-12-31", "2025-03-01"),
		].join("|");
	})()`)
	want := "task:::0:false|task:::-5:false|task:x:2024-02-29:3:false|list:12|bad:list|other|bad:task|task:::0:false|bad:task|" +
		"1.5||-1024|1027|0|Overdue · yesterday|false|Today|Tomorrow|true|60"
	if got != want {
		t.Fatalf("the model reads\n%s\nwant\n%s", got, want)
	}

	// Deleting a list with tasks asks first, then deletes them all.
	chooseList(t, tab, workName)
	click(tab, "#delete-list")
	tab.WaitTrue(`!!document.querySelector("dialog[open]")`)
	waitText(t, tab, "dialog[open]", "Its 14 tasks (3 done) will be deleted too.")
	tab.Screenshots("delete-list")
	answerYes(t, tab)
	waitText(t, tab, "#list-name", "My tasks")
	tab.WaitTrue(`![...document.querySelectorAll("#lists .list-name")].some(e => e.textContent.startsWith("Work"))`)
	ids, err := dev.List(ctx, tasksDoctype)
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{}
	for _, id := range ids {
		left[id] = true
	}
	for _, id := range append(workIDs, work) {
		if left[id] {
			t.Fatalf("%s is still stored after its list was deleted", id)
		}
	}
	for _, id := range []string{"legacy", groceries, milk, bread, eggs, apples} {
		if !left[id] {
			t.Fatalf("%s was deleted with another list", id)
		}
	}
}
