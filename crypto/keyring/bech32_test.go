package keyring_test

import (
	"strings"
	"testing"
)

// bech32Recipient encodes 32 raw bytes as an "age1..." recipient string, so
// tests can build recipients for points age would never generate.
func bech32Recipient(t *testing.T, raw []byte) string {
	t.Helper()
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	var data []byte // 8-bit to 5-bit groups
	acc, bits := 0, 0
	for _, b := range raw {
		acc = acc<<8 | int(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			data = append(data, byte(acc>>bits&31))
		}
	}
	if bits > 0 {
		data = append(data, byte(acc<<(5-bits)&31))
	}
	hrp := "age"
	polymod := func(v []byte) int {
		gen := []int{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
		chk := 1
		for _, x := range v {
			top := chk >> 25
			chk = (chk&0x1ffffff)<<5 ^ int(x)
			for i := 0; i < 5; i++ {
				if top>>i&1 == 1 {
					chk ^= gen[i]
				}
			}
		}
		return chk
	}
	var v []byte
	for _, c := range hrp {
		v = append(v, byte(c>>5))
	}
	v = append(v, 0)
	for _, c := range hrp {
		v = append(v, byte(c&31))
	}
	v = append(v, data...)
	v = append(v, 0, 0, 0, 0, 0, 0)
	mod := polymod(v) ^ 1
	var sb strings.Builder
	sb.WriteString(hrp + "1")
	for _, d := range data {
		sb.WriteByte(charset[d])
	}
	for i := 0; i < 6; i++ {
		sb.WriteByte(charset[mod>>(5*(5-i))&31])
	}
	return sb.String()
}
