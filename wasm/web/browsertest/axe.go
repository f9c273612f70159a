package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Accessibility: every page a browser test shows (each Screenshots) is
// checked by axe-core (npm, installed by make axe into axe/node_modules)
// against WCAG 2.1 A and AA, in the light and the dark colour scheme; a
// serious or critical violation fails the test, naming the rule and the
// elements.

var axe struct {
	once sync.Once
	src  string
	err  error
}

// axeSource reads axe.min.js from beside this package.
func axeSource() (string, error) {
	axe.once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		p := filepath.Join(filepath.Dir(file), "axe", "node_modules", "axe-core", "axe.min.js")
		b, err := os.ReadFile(p)
		if err != nil {
			axe.err = fmt.Errorf("axe-core is not installed (make axe): %w", err)
			return
		}
		axe.src = string(b)
	})
	return axe.src, axe.err
}

// axeRun runs axe on the page and answers its serious and critical
// violations, as JSON.
const axeRun = `axe.run(document, {
  runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
  resultTypes: ["violations"],
}).then(r => JSON.stringify(r.violations
  .filter(v => v.impact === "serious" || v.impact === "critical")
  .map(v => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 6).map(n => n.target.join(" ") + ": " + n.failureSummary.replace(/\s+/g, " ")) }))))`

type axeViolation struct {
	ID, Impact, Help string
	Nodes            []string
}

// Axe checks the page in the tab with axe-core, in both colour schemes.
// name says which page state it is (a Screenshots name).
func (tab *Tab) Axe(name string) {
	tab.t.Helper()
	src, err := axeSource()
	if err != nil {
		tab.t.Fatal(err)
	}
	for _, scheme := range []string{"light", "dark"} {
		var out string
		tab.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
				return err
			}
			time.Sleep(100 * time.Millisecond) // transitions settle
			loaded, err := chromedp.Evaluate[bool](`typeof axe === "object"`)(ctx, tg)
			if err != nil {
				return err
			}
			if !loaded {
				// Evaluated by the DevTools protocol, which the page's
				// CSP does not govern.
				if _, err := chromedp.Evaluate[bool](src+"\n;true")(ctx, tg); err != nil {
					return err
				}
			}
			out, err = chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise)(ctx, tg)
			if err != nil {
				return err
			}
			_, err = cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
			return err
		}))
		var vs []axeViolation
		if err := json.Unmarshal([]byte(out), &vs); err != nil {
			tab.t.Fatalf("axe on %s: %v", name, err)
		}
		for _, v := range vs {
			tab.t.Errorf("accessibility (axe, %s scheme) on %s: %s %s: %s\n    %s", scheme, name, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, "\n    "))
		}
	}
}
