//go:build js && wasm

// Command hearthpassword estimates password strength for the browser
// client: built with GOOS=js GOARCH=wasm into hearth-password.wasm, which
// hearth-worker.js loads only when a password is chosen (sign-up, a
// password change, a recovery), it registers
// globalThis.hearthZxcvbn(password, user), which returns the estimate of
// package pwrule/zxcvbn as JSON text, and keeps running. zxcvbn's word
// lists are megabytes and take a second to load: every app's client would
// pay for them if they were in hearth.wasm (package pwrule).
package main

import (
	"encoding/json"
	"syscall/js"

	"github.com/hearthcloud/hearth/client/pwrule/zxcvbn"
)

func main() {
	js.Global().Set("hearthZxcvbn", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) != 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeString {
			return js.Null()
		}
		b, _ := json.Marshal(zxcvbn.Estimate(args[0].String(), args[1].String()))
		return string(b)
	}))
	select {}
}
