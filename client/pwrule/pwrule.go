// Package pwrule is Hearth's one password rule (spec/protocol.md §3.4):
// what a new password must be at sign-up, at a password change and at a
// recovery, in the command line client and in the browser alike.
//
// A password passes when it has at least MinLength characters (Unicode
// code points, after NFC) and zxcvbn (Dropbox's estimator, release 4.4.2,
// with the user name and "hearth" as words an attacker would try first)
// scores it at least MinScore, that is at least 10^8 guesses. When it does
// not, Judge says why in words for people, from what the estimator found
// (a common password, a keyboard row, a date, the user name…).
//
// The estimate itself is not in this package: zxcvbn's word lists take
// megabytes and a second to load in WebAssembly, which every app's page
// would pay. Native builds estimate with package pwrule/zxcvbn; the browser
// client asks a small WebAssembly program of its own, loaded only when a
// password is chosen, that runs the same package (client's estimate_js.go).
// Both hand Judge the same Estimate.
package pwrule

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const (
	// MinLength is the fewest characters a password may have.
	MinLength = 10
	// MinScore is the lowest zxcvbn score (0 to 4) a password may have.
	MinScore = 3
	// MaxEstimated is how many characters of a password are estimated:
	// zxcvbn's matching grows with the square of the length, and a
	// password whose first 100 characters are strong is strong.
	MaxEstimated = 100
)

// Estimate is what zxcvbn found in a password: its score (0 to 4), the
// base-10 logarithm of the guesses it would take, and the patterns of the
// guess sequence it assumed.
type Estimate struct {
	Score    int     `json:"score"`
	Guesses  float64 `json:"guesses_log10"`
	Patterns []Match `json:"patterns"`
}

// Match is one part of the password as the estimator sees it.
type Match struct {
	Pattern    string `json:"pattern"`              // dictionary, spatial, repeat, sequence, regex, date, bruteforce
	Token      string `json:"token"`                // the part of the password
	Dictionary string `json:"dictionary,omitempty"` // passwords, english_wikipedia, us_tv_and_film, surnames, female_names, male_names, user_inputs
	Rank       int    `json:"rank,omitempty"`       // in the dictionary, 1 the most common
	L33t       bool   `json:"l33t,omitempty"`       // found after undoing substitutions (@ for a…)
	Reversed   bool   `json:"reversed,omitempty"`
	Regex      string `json:"regex,omitempty"` // recent_year
}

// Inputs are the words given to the estimator besides its lists: an
// attacker who knows whose password it is tries them first.
func Inputs(user string) []string { return []string{user, "hearth"} }

// Prepare is the password as estimated: NFC (as the key derivation
// takes it), at most MaxEstimated characters.
func Prepare(password string) string {
	pw := norm.NFC.String(password)
	if utf8.RuneCountInString(pw) > MaxEstimated {
		pw = string([]rune(pw)[:MaxEstimated])
	}
	return pw
}

// A WeakError is a password the rule refuses, and why.
type WeakError struct {
	// Kind names the reason (spec/vectors/password.json): short, top10,
	// top100, common, user, built_on_common, substitutions, spatial,
	// repeat, sequence, date, words, guessable.
	Kind   string
	Reason string // for people: "it is one of the 100 most common passwords"
}

func (e *WeakError) Error() string { return "this password is too weak: " + e.Reason }

// Judge applies the rule to password, with e the estimate of
// Prepare(password) (for the user name user): nil, or a *WeakError.
func Judge(password string, e Estimate) error {
	if n := utf8.RuneCountInString(norm.NFC.String(password)); n < MinLength {
		return &WeakError{Kind: "short", Reason: fmt.Sprintf("use at least %d characters (this has %d); a few words together are easy to remember", MinLength, n)}
	}
	if e.Score >= MinScore {
		return nil
	}
	kind, why := reason(e)
	return &WeakError{Kind: kind, Reason: why}
}

// reason names and words the weakest part of what the estimator found.
func reason(e Estimate) (kind, why string) {
	const more = "; add another word or two, uncommon ones"
	if len(e.Patterns) == 1 && e.Patterns[0].Pattern == "dictionary" {
		m := e.Patterns[0]
		switch {
		case m.Dictionary == "passwords" && m.Rank <= 10:
			return "top10", "it is one of the 10 most common passwords"
		case m.Dictionary == "passwords" && m.Rank <= 100:
			return "top100", "it is one of the 100 most common passwords"
		case m.Dictionary == "passwords":
			return "common", "it is a very common password"
		}
	}
	for _, m := range e.Patterns {
		if m.Pattern == "dictionary" && m.Dictionary == "user_inputs" {
			return "user", "it contains your user name or the word hearth" + more
		}
	}
	for _, m := range e.Patterns {
		if m.Pattern == "dictionary" && m.Dictionary == "passwords" {
			return "built_on_common", fmt.Sprintf("it is built on a common password (%q)%s", m.Token, more)
		}
	}
	var words []string
	for _, m := range e.Patterns {
		switch {
		case m.Pattern == "dictionary" && (m.L33t || m.Reversed):
			return "substitutions", "substitutions like @ for a, and words written backwards, do not make common words much harder to guess" + more
		case m.Pattern == "dictionary":
			words = append(words, m.Token)
		case m.Pattern == "spatial":
			return "spatial", fmt.Sprintf("rows of keys like %q are easy to guess%s", m.Token, more)
		case m.Pattern == "repeat":
			return "repeat", fmt.Sprintf("repeats like %q are easy to guess%s", m.Token, more)
		case m.Pattern == "sequence":
			return "sequence", fmt.Sprintf("sequences like %q are easy to guess%s", m.Token, more)
		case m.Pattern == "date" || m.Pattern == "regex" && m.Regex == "recent_year":
			return "date", "dates and years are easy to guess" + more
		}
	}
	switch {
	case len(words) == 1:
		return "words", fmt.Sprintf("a common word or name (%q) is easy to guess%s", words[0], more)
	case len(words) > 1:
		return "words", fmt.Sprintf("common words and names (%s) are easy to guess together%s", quoteAll(words), more)
	}
	return "guessable", "it would not take long to guess" + more
}

func quoteAll(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(q, ", ")
}
