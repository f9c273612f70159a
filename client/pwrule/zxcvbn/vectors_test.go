package zxcvbn_test

import (
	"errors"
	"testing"

	"github.com/hearthcloud/hearth/client/pwrule"
	"github.com/hearthcloud/hearth/client/pwrule/zxcvbn"
	"github.com/hearthcloud/hearth/spec/vectors/vectorstest"
)

type passwordVectors struct {
	Format, Spec, Comment, Generator string
	Vectors                          []struct {
		Name, Comment, User, Password string
		OK                            bool
		Kind                          string
	}
}

// TestVectors runs spec/vectors/password.json natively and, in make
// test-wasm, under WebAssembly: the rule gives the same answers in both.
func TestVectors(t *testing.T) {
	var f passwordVectors
	vectorstest.Load(t, "password.json", &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range f.Vectors {
		err := pwrule.Judge(v.Password, zxcvbn.Estimate(v.Password, v.User))
		var we *pwrule.WeakError
		switch {
		case v.OK && err != nil:
			t.Errorf("%s: refused: %v", v.Name, err)
		case !v.OK && !errors.As(err, &we):
			t.Errorf("%s: accepted (%v), want refused as %s", v.Name, err, v.Kind)
		case !v.OK && we.Kind != v.Kind:
			t.Errorf("%s: refused as %s (%s), want %s", v.Name, we.Kind, we.Reason, v.Kind)
		}
	}
}

// FuzzEstimate: any text is estimated and judged without a panic, and
// what is refused says why.
func FuzzEstimate(f *testing.F) {
	f.Add("correct horse", "alice")
	f.Add("p@ssw0rd2024", "alice")
	f.Add("\xff\xfe", "bob")
	f.Fuzz(func(t *testing.T, pw, user string) {
		err := pwrule.Judge(pw, zxcvbn.Estimate(pw, user))
		var we *pwrule.WeakError
		if err != nil && (!errors.As(err, &we) || we.Reason == "" || we.Kind == "") {
			t.Fatalf("%q: %v", pw, err)
		}
	})
}
