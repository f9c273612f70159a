package site

import (
	"strings"
	"testing"
)

func TestExpandPage(t *testing.T) {
	in := "<meta name=\"hearth-page\" content=\"Tom &amp; Jerry\">\n" +
		"<link rel=\"stylesheet\" href=\"/own.css\">\n" +
		"<script type=\"module\" src=\"/own.js\"></script>\n" +
		"  <main>hi</main>\n"
	out, err := expandPage([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{
		"<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n",
		"  <meta name=\"hearth-wasm-sri\" content=\"\">\n",
		"  <title>Tom &amp; Jerry</title>\n  <link rel=\"stylesheet\" href=\"/own.css\">\n  <script type=\"module\" src=\"/own.js\"></script>\n</head>\n<body>\n  <header class=\"bar\">",
		"<span class=\"mark\">H</span> Tom &amp; Jerry</a>",
		"</header>\n  <main>hi</main>\n</body>\n</html>\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("expanded page lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, "<title>") != 1 {
		t.Errorf("want one title:\n%s", s)
	}
	own, _ := expandPage([]byte("<meta name=\"hearth-page\" content=\"X\">\n<title>Mine</title>\n<p>x\n"))
	if !strings.Contains(string(own), "<title>Mine</title>") || strings.Count(string(own), "<title>") != 1 {
		t.Errorf("the page's own title is not the one kept:\n%s", own)
	}

	mine, _ := expandPage([]byte("<meta name=\"hearth-page\" content=\"X\">\n<link rel=\"icon\" href=\"/mine.png\">\n<p>x\n"))
	if strings.Count(string(mine), `rel="icon"`) != 1 || !strings.Contains(string(mine), "/mine.png") {
		t.Errorf("the page's own icon is not the one kept:\n%s", mine)
	}
	if std, _ := expandPage([]byte("<meta name=\"hearth-page\" content=\"X\">\n<p>x\n")); !strings.Contains(string(std), `<link rel="icon" href="/favicon.svg"`) {
		t.Errorf("no icon in the standard head:\n%s", std)
	}

	plain := "<!doctype html>\n<title>as written</title>\n"
	if out, err := expandPage([]byte(plain)); err != nil || string(out) != plain {
		t.Errorf("a page not in the standard form changed: %q, %v", out, err)
	}
	if _, err := expandPage([]byte("<!doctype html>\n<meta name=\"hearth-page\" content=\"X\">\n")); err == nil {
		t.Error("a hearth-page meta that is not the first line was accepted")
	}
}

func FuzzExpandPage(f *testing.F) {
	f.Add([]byte("<meta name=\"hearth-page\" content=\"X\">\n<title>t</title>\n<p>body\n"))
	f.Add([]byte("<!doctype html><p>plain"))
	f.Fuzz(func(t *testing.T, src []byte) {
		out, err := expandPage(src)
		if err == nil && pageRE.Match(src) && !strings.HasSuffix(string(out), "</html>\n") {
			t.Fatalf("a standard page does not end its document: %q", out)
		}
	})
}
