package wire

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestCodesMatchSpec checks the table against §9 of spec/protocol.md: the
// same codes with the same statuses, none missing on either side.
func TestCodesMatchSpec(t *testing.T) {
	b, err := os.ReadFile("../../spec/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `([a-z_]+)` +\\| ([0-9]{3}) ").FindAllSubmatch(b, -1)
	if len(rows) < 20 {
		t.Fatalf("found %d codes in §9", len(rows))
	}
	spec := map[Code]int{}
	for _, r := range rows {
		s, _ := strconv.Atoi(string(r[2]))
		spec[Code(r[1])] = s
	}
	for c, s := range spec {
		if got, ok := statusOf[c]; !ok || got != s {
			t.Errorf("%s: spec says %d, table says %d (present %v)", c, s, got, ok)
		}
	}
	for c := range statusOf {
		if _, ok := spec[c]; !ok {
			t.Errorf("%s is not in the spec's table", c)
		}
	}
}
