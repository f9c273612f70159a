package pad

import (
	"bytes"
	"testing"
)

func TestPadme(t *testing.T) {
	for _, c := range []struct{ in, want int64 }{
		{0, 0}, {1, 1}, {2, 2}, {3, 3}, {9, 10}, {256, 256}, {257, 272},
		{1000, 1024}, {1025, 1088}, {1 << 20, 1 << 20}, {1<<20 + 1, 1<<20 + 1<<15},
	} {
		if got := Padme(c.in); got != c.want {
			t.Errorf("Padme(%d) = %d, want %d", c.in, got, c.want)
		}
	}
	// Overhead is bounded by 12% and the result is never smaller.
	for n := int64(2); n < 1<<16; n += 7 {
		p := Padme(n)
		if p < n || float64(p-n)/float64(n) > 0.12 {
			t.Fatalf("Padme(%d) = %d", n, p)
		}
	}
}

func TestPadRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 1000, 5000} {
		b := bytes.Repeat([]byte{0}, n) // zeros are the hardest content
		p := Pad(b)
		if len(p) != Len(n) || len(p) < MinLen {
			t.Fatalf("len(Pad(%d bytes)) = %d", n, len(p))
		}
		u, err := Unpad(p)
		if err != nil || !bytes.Equal(u, b) {
			t.Fatalf("Unpad(Pad(%d bytes)) = %d bytes, %v", n, len(u), err)
		}
	}
	for _, bad := range [][]byte{nil, {0}, {1, 0, 0}, {0x80, 1}} {
		if _, err := Unpad(bad); err != ErrBadPadding {
			t.Errorf("Unpad(%x) = %v", bad, err)
		}
	}
}
