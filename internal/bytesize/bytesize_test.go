package bytesize

import (
	"strconv"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]int64{
		"10GiB": 10 << 30, "500MB": 500e6, "1.5 GiB": 3 << 29, "4096": 4096, "0": 0, "7 b": 7, "2kib": 2048,
		"1TB": 1e12, "3 TiB": 3 << 40, " 12 kB ": 12000, "0.5KiB": 512,
	} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "-1GiB", "1..5GiB", ".5GiB", "5.GiB", "10 GiBs", "10G", "1e9", "9999999999TiB", "0x10", "1 2"} {
		if n, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %d, want an error", in, n)
		}
	}
}

func TestFormat(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 bytes", 1: "1 byte", 1023: "1023 bytes", 1024: "1 KiB", 1536: "1.5 KiB", 10 << 30: "10 GiB",
		10<<30 - 1: "9.9 GiB", 3 << 40: "3 TiB", 1e6: "1 MB", 5e9: "5 GB", 200e3: "200 kB", 1500e3: "1.5 MB", 1.5e9: "1.5 GB", 3000100: "2.8 MiB",
		3e6 + 1: "2.8 MiB", 1024e3: "1000 KiB", 4096000: "3.9 MiB",
	} {
		if got := Format(n); got != want {
			t.Errorf("Format(%d) = %q, want %q", n, got, want)
		}
	}
}

// FuzzParse: Parse never panics, gives sizes in 0 … 2^53−1, and reads a
// plain number of bytes as itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"10GiB", "500MB", "1.5 GiB", "4096", "", "-1", "1e3", "9007199254740991", "0.0001kib"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		if n < 0 || n >= 1<<53 {
			t.Fatalf("Parse(%q) = %d", s, n)
		}
		if m, err := Parse(strconv.FormatInt(n, 10)); err != nil || m != n {
			t.Fatalf("Parse of %d's digits = %d, %v", n, m, err)
		}
	})
}
