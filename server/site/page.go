package site

import (
	"bytes"
	"errors"
	"html"
	"regexp"
	"strings"
)

// The standard page (spec/apps.md §4.1): a page that begins with
//
//	<meta name="hearth-page" content="NAME">
//
// is written as what is its own, and served as a whole document: Hearth's
// head (character set, viewport, colour schemes, the WebAssembly client's
// metas, the icon, the shared style sheet, hearth.js preloaded), the page's own head
// lines (the <title>, <link>, <meta> and <script> lines that follow the
// first), then a body that opens with Hearth's bar (NAME, a link back to
// Home, the account's name) and goes on with the rest of the page. Home,
// the bundled apps and the example app are written so; a page that does
// not begin so is served as written.

// pageRE is a standard page's first line.
var pageRE = regexp.MustCompile(`^\s*<meta\s+name="hearth-page"\s+content="([^"<>]*)"\s*/?>[ \t]*\r?\n`)

// headLineRE is a line of a standard page's own head.
var headLineRE = regexp.MustCompile(`(?i)^\s*<(title|link|meta|script)[\s>]`)

// iconRE finds a page's icon line.
var iconRE = regexp.MustCompile(`(?i)^\s*<link\s[^>]*rel=["']?icon["'\s>]`)

// standardHead is the head every standard page has, before its own lines.
var standardHead = []string{
	`<meta charset="utf-8">`,
	`<meta name="viewport" content="width=device-width, initial-scale=1">`,
	`<meta name="color-scheme" content="light dark">`,
	`<meta name="hearth-wasm-sri" content="">`,
	`<meta name="hearth-wasm-url" content="">`,
	`<link rel="icon" href="/favicon.svg" type="image/svg+xml">`,
	`<link rel="stylesheet" href="/style.css">`,
	`<link rel="modulepreload" href="/hearth.js">`,
	`<link rel="modulepreload" href="/hearth-start.js">`,
	`<link rel="modulepreload" href="/hearth-intent-url.js">`,
}

// pageName is the name a standard page gives itself (false: the page is
// not one).
func pageName(src []byte) (string, bool) {
	m := pageRE.FindSubmatch(src)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(string(m[1])), true
}

// expandPage writes a standard page out whole; any other page is returned
// as it is.
func expandPage(src []byte) ([]byte, error) {
	m := pageRE.FindSubmatchIndex(src)
	if m == nil {
		if bytes.Contains(src, []byte(`name="hearth-page"`)) {
			return nil, errors.New(`<meta name="hearth-page" content="NAME"> must be the page's first line`)
		}
		return src, nil
	}
	name, _ := pageName(src)
	rest := string(src[m[1]:])
	var own []string
	for rest != "" {
		line, after, _ := strings.Cut(rest, "\n")
		if !headLineRE.MatchString(line) {
			break
		}
		own = append(own, strings.TrimSpace(line))
		rest = after
	}
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html lang=\"en\">\n<head>\n")
	title, icon := false, false
	for _, l := range own {
		title = title || strings.HasPrefix(strings.ToLower(l), "<title")
		icon = icon || iconRE.MatchString(l)
	}
	for _, l := range standardHead {
		if icon && iconRE.MatchString(l) {
			continue // the page's own icon instead
		}
		b.WriteString("  " + l + "\n")
	}
	if !title {
		b.WriteString("  <title>" + html.EscapeString(name) + "</title>\n")
	}
	for _, l := range own {
		b.WriteString("  " + l + "\n")
	}
	b.WriteString("</head>\n<body>\n")
	b.WriteString(`  <header class="bar">` + "\n" +
		`    <a class="brand" id="home-link" href="/"><span class="mark">H</span> ` + html.EscapeString(name) + "</a>\n" +
		`    <span class="spacer"></span>` + "\n" +
		`    <span class="who" id="who"></span>` + "\n" +
		"  </header>\n")
	b.WriteString(rest)
	if !strings.HasSuffix(rest, "\n") {
		b.WriteString("\n")
	}
	b.WriteString("</body>\n</html>\n")
	return []byte(b.String()), nil
}
