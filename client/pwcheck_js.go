//go:build js

package client

import (
	"encoding/json"
	"errors"
	"syscall/js"

	"github.com/hearthcloud/hearth/client/jspromise"
	"github.com/hearthcloud/hearth/client/pwrule"
)

// estimatePassword asks globalThis.hearthPasswordEstimate(password, user),
// which the worker provides (hearth-worker.js): it loads
// hearth-password.wasm (wasm/cmd/hearthpassword, package pwrule/zxcvbn) on
// first use and resolves to the Estimate as JSON text. zxcvbn's lists are
// too large to load with every app's client (package pwrule).
func estimatePassword(password, user string) (pwrule.Estimate, error) {
	var e pwrule.Estimate
	f := js.Global().Get("hearthPasswordEstimate")
	if f.Type() != js.TypeFunction {
		return e, errors.New("client: this browser client cannot check passwords (no hearthPasswordEstimate)")
	}
	v, rejected := jspromise.Await(f.Invoke(password, user))
	if rejected {
		return e, errors.New("client: checking the password: " + jspromise.Message(v))
	}
	if v.Type() != js.TypeString {
		return e, errors.New("client: checking the password: no estimate")
	}
	if err := json.Unmarshal([]byte(v.String()), &e); err != nil {
		return e, errors.New("client: checking the password: " + err.Error())
	}
	return e, nil
}
