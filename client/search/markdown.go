package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// PlainText returns text as a person reads it once Markdown is rendered:
// without the marks of headings, quotes, lists, task boxes, tables, code
// fences and thematic breaks, emphasis (*a*, **a**, _a_, __a__, ~~a~~) and
// code spans (`a`); a link or an image is its text ([a](url) and ![a](url)
// are "a"; <url> is "url"); backslash escapes are undone; runs of
// spaces, tabs and line feeds are one space. Snippets are cut from it
// (spec/web.md §3.7), so that a result shows the words of a note, not its
// marks.
//
// It is meant for any text, Markdown or not: a mark is removed only where
// Markdown would read it as one (snake_case, 2*3, a lone * or an unclosed
// [ stay as they are).
func PlainText(text string) string {
	if !strings.ContainsAny(text, "*_~`[]<>#|\\-+=!\n\t\r0123456789") {
		return text
	}
	var b strings.Builder
	fence := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		lead := strings.TrimLeft(line, " \t")
		if f := fenceOf(lead); f != "" && (fence == "" || strings.HasPrefix(f, fence[:1]) && len(f) >= len(fence)) {
			if fence == "" {
				fence = f
			} else {
				fence = ""
			}
			b.WriteByte(' ')
			continue
		}
		if fence != "" {
			b.WriteString(line) // code: as it is
			b.WriteByte(' ')
			continue
		}
		if isRule(lead) {
			b.WriteByte(' ')
			continue
		}
		b.WriteString(inline(blockText(lead)))
		b.WriteByte(' ')
	}
	return collapse(b.String())
}

// collapse makes each run of spaces, tabs and line feeds one space, and
// trims them at both ends; other characters (a carriage return inside a
// line, U+2028) are the caller's to show or escape.
func collapse(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n':
			space = b.Len() > 0
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// fenceOf returns the fence a line opens or closes (``` or ~~~, or longer),
// or "".
func fenceOf(l string) string {
	for _, c := range []byte{'`', '~'} {
		n := 0
		for n < len(l) && l[n] == c {
			n++
		}
		if n >= 3 {
			return l[:n]
		}
	}
	return ""
}

// isRule reports whether a line is only a thematic break (---, ***, ___),
// a setext heading's underline (===, ---) or a table's delimiter row
// (|---|:--:|).
func isRule(l string) bool {
	l = strings.TrimSpace(l)
	if len(l) < 3 {
		return false
	}
	if strings.Trim(l, "-| :") == "" {
		return strings.Contains(l, "---") || strings.Contains(l, "|") && strings.Contains(l, "-")
	}
	for _, c := range []string{"*", "_", "="} {
		if strings.Trim(l, c+" ") == "" && strings.Count(l, c) >= 3 {
			return true
		}
	}
	return false
}

// blockText strips a line's block marks: quote marks, a list item's
// marker and task box, a heading's #s (leading and closing), a table
// row's pipes.
func blockText(l string) string {
	for {
		switch {
		case strings.HasPrefix(l, ">"):
			l = strings.TrimLeft(l[1:], " \t")
			continue
		case len(l) >= 2 && strings.IndexByte("-*+", l[0]) >= 0 && (l[1] == ' ' || l[1] == '\t'):
			l = strings.TrimLeft(l[2:], " \t")
			continue
		}
		if n := digits(l); n > 0 && n <= 9 && len(l) > n+1 && (l[n] == '.' || l[n] == ')') && (l[n+1] == ' ' || l[n+1] == '\t') {
			l = strings.TrimLeft(l[n+2:], " \t")
			continue
		}
		break
	}
	if len(l) >= 4 && l[0] == '[' && strings.IndexByte(" xX", l[1]) >= 0 && l[2] == ']' && (l[3] == ' ' || l[3] == '\t') {
		l = l[4:]
	}
	if h := strings.TrimLeft(l, "#"); len(l)-len(h) <= 6 && len(h) < len(l) && (h == "" || h[0] == ' ' || h[0] == '\t') {
		l = strings.TrimSpace(h)
		if t := strings.TrimRight(l, "#"); t == "" || t[len(t)-1] == ' ' || t[len(t)-1] == '\t' {
			l = t // a closing sequence
		}
	}
	if strings.HasPrefix(l, "|") {
		l = strings.ReplaceAll(l, "|", " ")
	}
	return l
}

func digits(s string) int {
	n := 0
	for n < len(s) && '0' <= s[n] && s[n] <= '9' {
		n++
	}
	return n
}

// char is a character of a line being read: lit when it cannot be an
// emphasis mark (it was escaped, or is code or a link's address). A byte
// that is not UTF-8 is kept as it is, in raw.
type char struct {
	r   rune
	lit bool
	raw byte
}

// inline strips a line's inline marks.
func inline(l string) string {
	cs := spans(l)
	keep := emphasis(cs)
	var b strings.Builder
	for i, c := range cs {
		switch {
		case !keep[i]:
		case c.raw != 0:
			b.WriteByte(c.raw)
		default:
			b.WriteRune(c.r)
		}
	}
	return b.String()
}

// spans reads code spans, links, images, autolinks and escapes: what is
// left of them is their text.
func spans(l string) []char {
	var out []char
	lit := func(s string) {
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			c := char{r: r, lit: true}
			if r == utf8.RuneError && n == 1 {
				c.raw = s[i]
			}
			out = append(out, c)
			i += n
		}
	}
	for i := 0; i < len(l); {
		c := l[i]
		switch {
		case c == '\\' && i+1 < len(l) && isASCIIPunct(l[i+1]):
			out = append(out, char{r: rune(l[i+1]), lit: true})
			i += 2
			continue
		case c == '`':
			n := 1
			for i+n < len(l) && l[i+n] == '`' {
				n++
			}
			if end := closingTicks(l[i+n:], n); end >= 0 {
				code := l[i+n : i+n+end]
				if len(code) > 2 && code[0] == ' ' && code[len(code)-1] == ' ' {
					code = code[1 : len(code)-1]
				}
				lit(code)
				i += n + end + n
			} else {
				lit(l[i : i+n])
				i += n
			}
			continue
		case c == '!' && i+1 < len(l) && l[i+1] == '[':
			if text, n := link(l[i+1:]); n > 0 {
				out = append(out, spans(text)...)
				i += 1 + n
				continue
			}
		case c == '[':
			if text, n := link(l[i:]); n > 0 {
				out = append(out, spans(text)...)
				i += n
				continue
			}
		case c == '<':
			// An autolink holds no space and no '<': the search for its
			// '>' stops at either, so "<a<a<a…" stays linear.
			end := strings.IndexAny(l[i+1:], " \t<>") + 1
			if end > 1 && l[i+end] == '>' {
				inner := l[i+1 : i+end]
				if strings.Contains(inner, "://") || strings.Contains(inner, "@") || strings.HasPrefix(inner, "mailto:") {
					lit(inner)
					i += end + 1
					continue
				}
			}
		}
		r, n := utf8.DecodeRuneInString(l[i:])
		ch := char{r: r}
		if r == utf8.RuneError && n == 1 {
			ch.raw = l[i]
		}
		out = append(out, ch)
		i += n
	}
	return out
}

// Bounds that keep PlainText linear on text made to be slow (a document
// is anyone's): a code span, a link's text or address longer than these
// is taken as text, and a closing emphasis mark looks back at so many
// openers at most.
const (
	maxSpan    = 1024
	maxOpeners = 64
)

// closingTicks returns where a run of exactly n backticks starts in s, or -1.
func closingTicks(s string, n int) int {
	s = s[:min(len(s), maxSpan)]
	for i := 0; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] == '`' {
			j++
		}
		if j-i == n {
			return i
		}
		i = j
	}
	return -1
}

// link reads "[text](address)", "[text][ref]" or "[text][]" at the start
// of s and returns text and the length read, or 0 when s does not start
// with one.
func link(s string) (string, int) {
	s = s[:min(len(s), 2*maxSpan)]
	depth := 0
	end := -1
	for i := 0; i < min(len(s), maxSpan) && end < 0; i++ {
		switch s[i] {
		case '\\':
			i++
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				end = i
			}
		}
	}
	if end < 0 || end+1 >= len(s) {
		return "", 0
	}
	text := s[1:end]
	open, close := s[end+1], byte(')')
	switch open {
	case '(':
	case '[':
		close = ']'
	default:
		return "", 0
	}
	depth = 0
	for i := end + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return text, i + 1
			}
		}
	}
	return "", 0
}

func isASCIIPunct(c byte) bool {
	return c < utf8.RuneSelf && unicode.IsPunct(rune(c)) || strings.IndexByte("$+<=>^`|~", c) >= 0
}

// emphasis returns which characters of cs to keep: all but the runs of *,
// _ and ~ that Markdown reads as emphasis (or strikethrough), paired as
// openers and closers by the flanking rules of CommonMark (an _ inside a
// word is a character).
func emphasis(cs []char) []bool {
	keep := make([]bool, len(cs))
	for i := range keep {
		keep[i] = true
	}
	type run struct {
		c          rune
		start, n   int
		open, shut bool
	}
	space := func(i int) bool { return i < 0 || i >= len(cs) || unicode.IsSpace(cs[i].r) }
	punct := func(i int) bool {
		return i >= 0 && i < len(cs) && (unicode.IsPunct(cs[i].r) || unicode.IsSymbol(cs[i].r))
	}
	var openers []run
	for i := 0; i < len(cs); {
		c := cs[i]
		if c.lit || c.r != '*' && c.r != '_' && c.r != '~' {
			i++
			continue
		}
		j := i
		for j < len(cs) && cs[j].r == c.r && !cs[j].lit {
			j++
		}
		r := run{c: c.r, start: i, n: j - i}
		left := !space(j) && (!punct(j) || space(i-1) || punct(i-1))
		right := !space(i-1) && (!punct(i-1) || space(j) || punct(j))
		r.open, r.shut = left, right
		if c.r == '_' {
			r.open = left && (!right || punct(i-1))
			r.shut = right && (!left || punct(j))
		}
		if c.r == '~' && r.n > 2 {
			r.open, r.shut = false, false
		}
		if r.shut {
			for k := len(openers) - 1; k >= max(0, len(openers)-maxOpeners) && r.n > 0; k-- {
				o := &openers[k]
				if o.c != r.c {
					continue
				}
				use := min(o.n, r.n)
				if r.c == '~' && o.n != r.n {
					continue
				}
				for m := 0; m < use; m++ {
					keep[o.start+o.n-1-m] = false
					keep[r.start+m] = false
				}
				o.n -= use
				r.start += use
				r.n -= use
				openers = openers[:k+boolInt(o.n > 0)]
			}
		}
		if r.open && r.n > 0 {
			openers = append(openers, r)
		}
		i = j
	}
	return keep
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
