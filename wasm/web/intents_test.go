package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// TestWebIntents: Notes, which holds no key of io.hearth.tasks, asks Tasks
// through Home to create a task from a note (spec/apps.md §5). Home names
// who asks and what, the person goes on, Tasks shows the task filled in,
// the person creates it, and Notes is back on the note with its id. Notes'
// token still cannot read tasks. A request made elsewhere is not named as
// Notes', one no app serves says so, and a made-up answer goes nowhere.
func TestWebIntents(t *testing.T) {
	host, rec := &appHost{}, &requestRecorder{}
	env := browsertest.Start(t, browsertest.Options{Wrap: func(h http.Handler) http.Handler { return rec.wrap(host.wrap(h)) }})
	// The intent's value travels in URL fragments only: never to the host.
	const marker = "INTENTMARKER7f3a9c"
	const user, password = "dana", "an intents password"
	host.origin = env.AppURL("notes", user)
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dev.Put(ctx, "io.hearth.notes", "callnote", []byte(`{"title":"Call Lou about the boat `+marker+`","body":"Before Friday.","created":1,"updated":1}`)); err != nil {
		t.Fatal(err)
	}

	tab := env.NewTab(t)
	signInHome(t, env, tab, user, password)

	// Tasks comes with Hearth: installed from the store, with consent.
	waitText(t, tab, "#store", "Tasks")
	tab.Do(chromedp.Click(chromedp.CSS(`[data-install=tasks]`)))
	waitView(t, tab, "install", "#store-msg")
	waitText(t, tab, "#install-scopes", "Read, write and delete your tasks — Your tasks and your lists of tasks: to show them, add, change, check off, reorder and delete them.")
	tab.Do(chromedp.Click(chromedp.CSS("#install-allow")))
	tab.WaitOrigin(env.AppURL("tasks", user))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))

	// Notes asks for a task.
	tab.Open(env.AppURL("notes", user) + "/#open=callnote")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#connect-allow")), chromedp.Click(chromedp.CSS("#connect-allow")))
	tab.WaitOrigin(env.AppURL("notes", user))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	tab.Do(chromedp.Click(chromedp.CSS(`#note-list li`)))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#make-task")), chromedp.Click(chromedp.CSS("#make-task")))
	waitView(t, tab, "intent", "#intent-msg")
	waitText(t, tab, "#intent-title", "Create a task?")
	waitText(t, tab, "#intent-lead", "Notes ("+strings.TrimPrefix(env.AppURL("notes", user), "http://")+") asks Tasks ("+strings.TrimPrefix(env.AppURL("tasks", user), "http://")+") to create a task:")
	waitText(t, tab, "#intent-value", "Call Lou about the boat "+marker)
	tab.Screenshots("intent-consent")
	tab.Do(chromedp.Click(chromedp.CSS("#intent-allow")))
	tab.WaitOrigin(env.AppURL("tasks", user))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#intent-form")))
	if v := browsertest.Eval[string](tab, `document.querySelector("#intent-form [name=title]").value`); v != "Call Lou about the boat "+marker {
		t.Fatalf("Tasks was handed %q", v)
	}
	if !strings.Contains(browsertest.Eval[string](tab, `document.querySelector("#intent-from").textContent`), "Another app asks for this task") {
		t.Fatal("Tasks does not say an app asks")
	}
	tab.Screenshots("intent-tasks")
	tab.Do(chromedp.Click(chromedp.CSS("#intent-form button[type=submit]")))
	tab.WaitOrigin(env.AppURL("notes", user))
	waitText(t, tab, "#status", "Task created in Tasks.")
	if got := browsertest.Eval[string](tab, `document.querySelector("#title").value`); got != "Call Lou about the boat "+marker {
		t.Fatalf("Notes came back to %q", got)
	}

	// The task exists, made by Tasks, linking the note; Notes' token cannot read it.
	ids, err := dev.List(ctx, "io.hearth.tasks")
	if err != nil || len(ids) != 1 {
		t.Fatalf("tasks: %v %v", ids, err)
	}
	d, err := dev.Get(ctx, "io.hearth.tasks", ids[0])
	if err != nil {
		t.Fatal(err)
	}
	var task struct {
		Title string `json:"title"`
		Note  string `json:"note"`
	}
	if json.Unmarshal(d.Content, &task); task.Title != "Call Lou about the boat "+marker || task.Note != "callnote" {
		t.Fatalf("the task: %s", d.Content)
	}
	if holdsMarker(rec.bytes(), marker) {
		t.Fatal("the intent's value reached the host")
	}
	notesTok := host.appToken()
	if got := status(t, env, "GET", "/v1/docs/io.hearth.tasks/"+ids[0], notesTok, nil); got != 403 {
		t.Fatalf("Notes' token reading the task: %d", got)
	}

	// Cancelling in Tasks comes back to Notes saying so.
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#make-task")), chromedp.Click(chromedp.CSS("#make-task")))
	waitView(t, tab, "intent", "#intent-msg")
	tab.Do(chromedp.Click(chromedp.CSS("#intent-allow")))
	tab.WaitOrigin(env.AppURL("tasks", user))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#intent-cancel")), chromedp.Click(chromedp.CSS("#intent-cancel")))
	tab.WaitOrigin(env.AppURL("notes", user))
	waitText(t, tab, "#status", "No task was created.")

	// A request made elsewhere (no referrer from Notes) is not named as
	// Notes'; one that no app serves says so.
	value := "eyJ0aXRsZSI6IlBheSB0aGUgYmlsbCJ9" // {"title":"Pay the bill"}
	tab.Open(env.HomeURL() + "/#intent?from=notes&user=" + user + "&action=create&doctype=io.hearth.tasks&value=" + value + "&state=x")
	waitView(t, tab, "intent", "#intent-msg")
	waitText(t, tab, "#intent-lead", "A page claiming to be Notes ("+strings.TrimPrefix(env.AppURL("notes", user), "http://")+") asks Tasks ("+strings.TrimPrefix(env.AppURL("tasks", user), "http://")+")")
	tab.Open(env.HomeURL() + "/#intent?from=notes&user=" + user + "&action=create&doctype=io.hearth.calendar&state=x")
	waitView(t, tab, "intent", "#intent-msg")
	waitText(t, tab, "#intent-title", "No app can do this yet")
	waitText(t, tab, "#intent-lead", "A page claiming to be Notes ("+strings.TrimPrefix(env.AppURL("notes", user), "http://")+") asks to create something in your calendar, but none of your apps does that.")
	tab.Open(env.HomeURL() + "/#intent?from=stranger&user=" + user + "&action=create&doctype=io.hearth.tasks&state=x")
	waitView(t, tab, "intent", "#intent-msg")
	waitText(t, tab, "#intent-msg", `the asking app "stranger" is not installed`)
	// A made-up answer (no ticket this tab gave) goes nowhere.
	tab.Open(env.HomeURL() + "/#intent-done?ticket=forged&id=x")
	tab.WaitTrue(`location.origin === ` + jsString(env.HomeURL()) + ` && location.hash === "" && !document.querySelector("[data-view=dashboard]").hidden`)
}
