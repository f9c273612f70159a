// Package pad hides the exact length of a plaintext from the host by
// rounding it up with the Padmé scheme (spec/protocol.md §5.3).
//
// Padmé leaks O(log log L) bits of a length L and costs at most 12% of it.
// Small plaintexts are first raised to a floor of MinLen bytes, so the host
// cannot tell a one-word note from a short paragraph.
package pad

import (
	"errors"
	"math/bits"
)

// MinLen is the smallest padded length of a document plaintext.
const MinLen = 256

// Padme returns, for 0 <= n <= 2^62, the Padmé length for n: n rounded up so that only the top
// floor(log2(floor(log2 n)))+1 bits of the result may be non-zero.
func Padme(n int64) int64 {
	if n < 2 {
		return n
	}
	e := int64(63 - bits.LeadingZeros64(uint64(n))) // floor(log2 n)
	s := int64(64 - bits.LeadingZeros64(uint64(e))) // floor(log2 e) + 1
	mask := int64(1)<<(e-s) - 1
	return (n + mask) &^ mask
}

// Len returns the padded length of a message of n bytes plus its one-byte
// end marker: Padme(max(n+1, MinLen)).
func Len(n int) int {
	return int(Padme(int64(max(n+1, MinLen))))
}

// Pad returns b followed by the end marker 0x80 and zeros up to Len(len(b)).
// The result is a new slice.
func Pad(b []byte) []byte {
	out := make([]byte, Len(len(b)))
	copy(out, b)
	out[len(b)] = 0x80
	return out
}

// ErrBadPadding is returned by Unpad when p does not end in 0x80 followed by
// zeros. Inside an authenticated plaintext this cannot happen unless the
// writer was faulty.
var ErrBadPadding = errors.New("pad: malformed padding")

// Unpad strips the zeros and the end marker that Pad appended. It returns a
// subslice of p. It accepts any amount of padding; readers of a sealed
// format use UnpadExact.
func Unpad(p []byte) ([]byte, error) {
	i := len(p) - 1
	for i >= 0 && p[i] == 0 {
		i--
	}
	if i < 0 || p[i] != 0x80 {
		return nil, ErrBadPadding
	}
	return p[:i], nil
}

// UnpadExact is Unpad that also requires p to be exactly Len of the content:
// a writer that padded less would leak the length, so it is refused.
func UnpadExact(p []byte) ([]byte, error) {
	m, err := Unpad(p)
	if err != nil || len(p) != Len(len(m)) {
		return nil, ErrBadPadding
	}
	return m, nil
}
