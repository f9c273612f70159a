// Package bytesize reads and writes sizes in bytes as people write them:
// "10GiB", "500 MB", "1.5 GiB", "4096".
package bytesize

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// ErrSyntax is returned for a size Parse cannot read.
var ErrSyntax = errors.New(`not a size: give a number of bytes with a unit, such as 10GiB, 500MB or 1.5TiB`)

// units are the suffixes Parse takes, compared without case: powers of
// 1000 (kB, MB, GB, TB) and of 1024 (KiB, MiB, GiB, TiB).
var units = []struct {
	name string
	mult float64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"b", 1}, {"", 1},
}

// Parse reads a size: a non-negative decimal number, optionally with a
// fraction, then optionally spaces and a unit (B, kB, MB, GB, TB, KiB,
// MiB, GiB, TiB, in any case). The result is rounded down to a whole byte
// and must be below 2^53.
func Parse(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(s)
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	if num == "" || strings.Count(num, ".") > 1 || num[0] == '.' || num[len(num)-1] == '.' || len(num) > 30 {
		return 0, ErrSyntax
	}
	for _, u := range units {
		if unit != u.name {
			continue
		}
		if !strings.Contains(num, ".") {
			n, err := strconv.ParseUint(num, 10, 64)
			if err != nil || float64(n)*u.mult >= 1<<53 {
				return 0, ErrSyntax
			}
			return int64(n) * int64(u.mult), nil
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil || f*u.mult >= 1<<53 {
			return 0, ErrSyntax
		}
		return int64(math.Floor(f * u.mult)), nil
	}
	return 0, ErrSyntax
}

// Format writes n for people in powers of 1024, with up to one decimal
// ("1.5 GiB", "640 KiB", "12 bytes"), rounded down; a size that is a
// round number of kB, MB, GB or TB and not of KiB is written in that unit
// ("5 GB", not "4.6 GiB"), as the person who gave it wrote it.
func Format(n int64) string {
	if n < 1024 {
		if n == 1 {
			return "1 byte"
		}
		return strconv.FormatInt(n, 10) + " bytes"
	}
	if d := decimal(n); d != "" && n%1024 != 0 {
		return d
	}
	f, i := float64(n), 0
	names := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	for f /= 1024; f >= 1024 && i < len(names)-1; f /= 1024 {
		i++
	}
	s := strconv.FormatFloat(math.Floor(f*10)/10, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + names[i]
}

// decimal writes n in the largest power of 1000 not above it when it is a
// whole number of tenths of that unit ("1.5 GB", "200 kB"), else "".
func decimal(n int64) string {
	units := []struct {
		name string
		mult int64
	}{{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}}
	for _, u := range units {
		if n < u.mult {
			continue
		}
		if n%(u.mult/10) != 0 {
			return ""
		}
		return strings.TrimSuffix(strconv.FormatFloat(float64(n/(u.mult/10))/10, 'f', 1, 64), ".0") + " " + u.name
	}
	return ""
}
