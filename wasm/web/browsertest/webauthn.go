package browsertest

import (
	"context"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// VirtualAuthenticator gives the tab Chromium's virtual authenticator (the
// DevTools protocol's WebAuthn domain): a platform authenticator holding
// discoverable credentials, verifying the user and answering at once,
// with the PRF extension when prf is set. Its passkeys stay with the tab.
func (tab *Tab) VirtualAuthenticator(prf bool) {
	tab.t.Helper()
	tab.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		no := false
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{EnableUI: &no}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
			HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
			HasPrf: prf, HasHmacSecret: prf,
		}})
		return err
	}))
}
