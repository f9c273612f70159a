package search

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// refMembers is members as encoding/json reads content (into maps, where
// a member named twice keeps its last value), as sorted lines.
func refMembers(content []byte) []string {
	var obj map[string]any
	if json.Unmarshal(content, &obj) != nil || obj == nil {
		var s string
		if json.Unmarshal(content, &s) != nil {
			s = string(content)
		}
		return []string{"text=s:" + s}
	}
	var out []string
	var walk func(name string, v any, depth int)
	walk = func(name string, v any, depth int) {
		if len(name) > maxName || depth > maxDepth {
			return
		}
		switch v := v.(type) {
		case string:
			out = append(out, name+"=s:"+v)
		case float64:
			out = append(out, name+"=n:"+strconv.FormatFloat(v, 'g', -1, 64))
		case bool:
			out = append(out, name+"=b:"+strconv.FormatBool(v))
		case []any:
			for _, e := range v {
				walk(name, e, depth+1)
			}
		case map[string]any:
			for k, e := range v {
				if k == "" || k[0] == '_' {
					continue
				}
				if name != "" {
					k = name + "." + k
				}
				walk(k, e, depth+1)
			}
		}
	}
	walk("", obj, 0)
	slices.Sort(out)
	return out
}

func ourMembers(content []byte) []string {
	var out []string
	members(content, func(name string, v value) {
		switch v.kind {
		case 's':
			out = append(out, name+"=s:"+string(v.text))
		case 'n':
			out = append(out, name+"=n:"+strconv.FormatFloat(v.num, 'g', -1, 64))
		case 'b':
			out = append(out, name+"=b:"+strconv.FormatBool(v.b))
		}
	})
	slices.Sort(out)
	return out
}

// FuzzMembers: what is indexed of a document is what encoding/json reads
// of it (for a document with no member named twice, and under the limits
// on fields).
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{"title":"a","body":"b \u00e9\n","n":1.5e3,"ok":true,"x":null}`,
		`{"a":{"b":{"c":["x",2,false,{"d":"e"}]}},"_skip":"y","":"z"}`, `"just a string"`, `not json`,
		`{"a":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":1e999}`, `{"a":-0}`, `[1,2]`, `{"a":"b"} trailing`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ours := ourMembers(b)
		if strings.Count(string(b), ":") > maxFields || strings.Count(string(b), "{")+strings.Count(string(b), "[") > maxDepth {
			return // over the limits, the two may keep different members
		}
		ref := refMembers(b)
		if slices.Equal(ours, ref) {
			return
		}
		// A member named twice: encoding/json keeps the last, members all.
		for _, r := range ref {
			if !slices.Contains(ours, r) {
				t.Fatalf("%q:\nours %q\nref  %q", b, ours, ref)
			}
		}
		if len(ours) <= len(ref) {
			t.Fatalf("%q:\nours %q\nref  %q", b, ours, ref)
		}
	})
}

func TestMembersOrder(t *testing.T) {
	got := ourMembers([]byte(`{"title":"T","tags":["a","b"],"meta":{"n":2}}`))
	want := []string{"meta.n=n:2", "tags=s:a", "tags=s:b", "title=s:T"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%q", got)
	}
}
