// Package zxcvbn estimates a password's strength for package pwrule with
// github.com/trustelem/zxcvbn, a Go port of Dropbox's zxcvbn 4.4.2 that
// gives its scores and guesses. Its word lists make it large: the browser
// client loads it in a WebAssembly program of its own, only when a
// password is chosen (wasm/cmd/hearthpassword).
package zxcvbn

import (
	"math"

	"github.com/trustelem/zxcvbn"

	"github.com/hearthcloud/hearth/client/pwrule"
)

// Estimate estimates pwrule.Prepare(password) for the user name user.
func Estimate(password, user string) pwrule.Estimate {
	r := zxcvbn.PasswordStrength(pwrule.Prepare(password), pwrule.Inputs(user))
	e := pwrule.Estimate{Score: r.Score, Guesses: math.Log10(max(r.Guesses, 1))}
	for _, m := range r.Sequence {
		e.Patterns = append(e.Patterns, pwrule.Match{Pattern: m.Pattern, Token: m.Token,
			Dictionary: m.DictionaryName, Rank: m.Rank, L33t: m.L33t, Reversed: m.Reversed, Regex: m.RegexName})
	}
	return e
}
