package pad

import (
	"bytes"
	"testing"
)

// FuzzUnpad: Unpad never panics, accepts exactly the inputs that end in
// 0x80 and zeros, returns their prefix, and undoes Pad.
func FuzzUnpad(f *testing.F) {
	for _, v := range loadVectors(f).Unpad {
		f.Add(unhex(f, v.Padded))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		u, err := Unpad(p)
		trimmed := bytes.TrimRight(p, "\x00")
		wellFormed := len(trimmed) > 0 && trimmed[len(trimmed)-1] == 0x80
		if err != nil {
			if err != ErrBadPadding || u != nil || wellFormed {
				t.Fatalf("Unpad(%x) = %x, %v", p, u, err)
			}
		} else if !wellFormed || !bytes.Equal(u, trimmed[:len(trimmed)-1]) {
			t.Fatalf("Unpad(%x) = %x", p, u)
		}
		padded := Pad(p)
		if len(padded) != Len(len(p)) || len(padded) < MinLen {
			t.Fatalf("len(Pad(%d bytes)) = %d", len(p), len(padded))
		}
		if back, err := Unpad(padded); err != nil || !bytes.Equal(back, p) {
			t.Fatalf("Unpad(Pad(%x)) = %x, %v", p, back, err)
		}
	})
}

// FuzzPadme checks Padmé's properties for lengths up to 2^62: never
// shorter, idempotent, monotonic, at most 12% larger, and only the top
// floor(log2 floor(log2 n)) + 1 bits non-zero.
func FuzzPadme(f *testing.F) {
	for _, v := range loadVectors(f).Lengths {
		f.Add(v.N, v.N+1)
	}
	f.Fuzz(func(t *testing.T, a, b int64) {
		const limit = 1 << 62
		if a < 0 || b < 0 || a > limit || b > limit {
			return
		}
		if a > b {
			a, b = b, a
		}
		pa, pb := Padme(a), Padme(b)
		if pa < a || pa > pb || Padme(pa) != pa {
			t.Fatalf("Padme(%d) = %d, Padme(%d) = %d", a, pa, b, pb)
		}
		if a >= 2 && float64(pa-a) > 0.12*float64(a) {
			t.Fatalf("Padme(%d) = %d: more than 12%%", a, pa)
		}
		if a >= 2 {
			e := 0
			for v := a; v > 1; v >>= 1 {
				e++
			}
			s := 0
			for v := e; v > 0; v >>= 1 {
				s++
			}
			if low := pa & (1<<(e-s) - 1); low != 0 {
				t.Fatalf("Padme(%d) = %d has low bits %b", a, pa, low)
			}
		}
	})
}
