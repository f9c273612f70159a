package wasm

import (
	"context"

	"github.com/hearthcloud/hearth/client"
)

// Passkeys (protocol §4.8). WebAuthn runs in Home's page, where
// navigator.credentials is: the worker begins a ceremony and finishes it
// with what the authenticator answered (home-passkeys.js).

// PasskeyAddArgs are the arguments of PasskeyAdd, one object: the
// ceremony's ticket, the PublicKeyCredential as its toJSON gives it, the
// PRF output in base64 (absent: the authenticator gave none), a name.
type PasskeyAddArgs struct {
	client.PasskeyAnswer
	Name string `json:"name"`
}

// PasskeyBegin begins adding a passkey: {ticket, options, prfSalt}.
func (a *API) PasskeyBegin(ctx context.Context) (*client.PasskeyCeremony, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	cer, err := c.BeginAddPasskey(ctx)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	return cer, nil
}

// PasskeyAdd finishes adding a passkey.
func (a *API) PasskeyAdd(ctx context.Context, in PasskeyAddArgs) (*client.Passkey, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	p, err := c.FinishAddPasskey(ctx, in.PasskeyAnswer, in.Name)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	return p, nil
}

// Passkeys lists the account's passkeys, oldest first.
func (a *API) Passkeys(ctx context.Context) ([]client.Passkey, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	list, err := c.Passkeys(ctx)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	if list == nil {
		list = []client.Passkey{}
	}
	return list, nil
}

// RenamePasskey renames a passkey.
func (a *API) RenamePasskey(ctx context.Context, id, name string) error {
	c, gen, err := a.account()
	if err != nil {
		return err
	}
	return a.fail(gen, c.RenamePasskey(ctx, id, name))
}

// RemovePasskey removes a passkey.
func (a *API) RemovePasskey(ctx context.Context, id string) error {
	c, gen, err := a.account()
	if err != nil {
		return err
	}
	return a.fail(gen, c.RemovePasskey(ctx, id))
}

// PasskeySignInBegin begins a sign-in with a passkey, or a passkey's
// answer for a password login's second factor (login's options.passkey).
func (a *API) PasskeySignInBegin(ctx context.Context) (*client.PasskeyCeremony, error) {
	cer, err := client.BeginPasskeySignIn(ctx, a.server, a.opts(""))
	if err != nil {
		return nil, a.fail(0, err)
	}
	return cer, nil
}

// PasskeySignIn signs in with a passkey that unlocks the account; the
// account is the one the passkey names.
func (a *API) PasskeySignIn(ctx context.Context, in client.PasskeyAnswer) (*LoginResult, error) {
	o := a.opts("")
	o.PreviousFor = func(user string) *client.State {
		a.mu.Lock()
		defer a.mu.Unlock()
		if m := a.memoryForLocked(user); m != nil {
			return m.State
		}
		return nil
	}
	c, err := client.PasskeyLogin(ctx, a.server, in, o)
	if err != nil {
		return nil, a.fail(0, err)
	}
	return a.signedIn(ctx, c, c.User())
}
