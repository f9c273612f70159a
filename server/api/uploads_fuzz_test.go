package api

import (
	"strconv"
	"testing"
)

// FuzzUploadOffset: Hearth-Upload-Offset (§8.7.3) is taken only in its one
// canonical form, 0 … 2^53-1, and read back as the number it writes.
func FuzzUploadOffset(f *testing.F) {
	for _, s := range []string{"0", "1", "8388608", "9007199254740991", "9007199254740992", "-0", "01", "+1", " 1", "1e3", "0x10", "", "١"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		n, err := parseUploadOffset(v)
		if err != nil {
			if AsError(err).Code != "bad_request" {
				t.Fatalf("%q: %v", v, err)
			}
			return
		}
		if n < 0 || n > 1<<53-1 || strconv.FormatInt(n, 10) != v {
			t.Fatalf("%q taken as %d", v, n)
		}
	})
}
