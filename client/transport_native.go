//go:build !js

package client

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// HTTPTransport returns a Transport that sends requests with hc (nil: a
// default with sane timeouts). hc is copied with its CheckRedirect replaced,
// so that redirects are never followed.
func HTTPTransport(hc *http.Client) Transport {
	if hc == nil {
		return defaultTransport()
	}
	c := *hc
	c.CheckRedirect = noRedirect
	return &httpTransport{hc: &c}
}

// loopbackName reports whether the host name h reaches this machine
// whatever the DNS says: only localhost here (Go asks the DNS for the
// names under .localhost, which could answer another address).
func loopbackName(h string) bool { return h == "localhost" }

func defaultTransport() Transport {
	// Whole-request timeouts are set per call with contexts, since blob
	// streams have none.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 10 * time.Second
	t.IdleConnTimeout = 90 * time.Second
	t.ExpectContinueTimeout = 5 * time.Second
	return &httpTransport{hc: &http.Client{Transport: t, CheckRedirect: noRedirect}}
}

// noRedirect makes an http.Client hand back a 3xx answer instead of
// following it: the API never redirects (§8.1), and following would resend
// the request, its body and, to the same host, its token wherever the host
// points.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// httpTransport is a Transport over net/http.
type httpTransport struct{ hc *http.Client }

func (t *httpTransport) roundTrip(ctx context.Context, r *httpRequest) (*httpResponse, error) {
	if r.held != nil {
		return nil, errors.New("a held request body outside the browser") // sealer_js.go makes them
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, r.body)
	if err != nil {
		return nil, err
	}
	if r.body != nil {
		req.ContentLength = r.contentLength
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	res, err := t.hc.Do(req)
	if err != nil {
		return nil, err
	}
	return &httpResponse{status: res.StatusCode, header: res.Header, body: res.Body, contentLength: res.ContentLength}, nil
}
