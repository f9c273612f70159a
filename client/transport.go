package client

import (
	"context"
	"io"
	"strconv"
)

// Transport carries the client's HTTP requests. Natively, HTTPTransport
// makes one of an *http.Client; under GOOS=js the client uses the
// JavaScript fetch API. Options.Transport nil: the default.
//
// Whatever the transport, redirects are never followed (a 3xx answer is an
// error): a host cannot bounce a request, its body or its token to another
// address.
type Transport interface {
	roundTrip(ctx context.Context, r *httpRequest) (*httpResponse, error)
}

// httpRequest is one HTTP request, as package client makes them.
type httpRequest struct {
	method, url string
	header      map[string]string
	body        io.Reader // nil: none
	// contentLength is the number of bytes body holds (when body is not
	// nil): the transport fails the request if body has other than that.
	contentLength int64
	// whole, when not nil, is body's bytes, all of them: a transport
	// that needs the body whole (fetch) takes them without reading body.
	whole []byte
	// held, when not nil, is the body, held where the transport sends it
	// from (body is nil): only the browser's transport has such bodies.
	held heldBody
}

// heldBody is a request body held where the transport sends it from, not
// in Go's memory: in the browser, a Blob of a sealed upload's piece
// (sealer_js.go).
type heldBody interface {
	Len() int64
	Slice(from int64) heldBody
}

// header is the header of a response.
type header interface {
	Get(name string) string
}

// httpResponse is the answer to an httpRequest. The caller closes body.
type httpResponse struct {
	status        int
	header        header
	body          io.ReadCloser
	contentLength int64 // -1: unknown
}

// statusOK is HTTP's 200.
const statusOK = 200

// statusText is the reason phrase of an HTTP status code ("" if unknown),
// as net/http's StatusText gives it.
func statusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 204:
		return "No Content"
	case 301:
		return "Moved Permanently"
	case 302:
		return "Found"
	case 303:
		return "See Other"
	case 304:
		return "Not Modified"
	case 307:
		return "Temporary Redirect"
	case 308:
		return "Permanent Redirect"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 408:
		return "Request Timeout"
	case 409:
		return "Conflict"
	case 410:
		return "Gone"
	case 411:
		return "Length Required"
	case 412:
		return "Precondition Failed"
	case 413:
		return "Request Entity Too Large"
	case 415:
		return "Unsupported Media Type"
	case 417:
		return "Expectation Failed"
	case 429:
		return "Too Many Requests"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	}
	return ""
}

// statusMessage is the message of an answer without a Hearth error body.
func statusMessage(code int) string {
	if s := statusText(code); s != "" {
		return s
	}
	return "HTTP status " + strconv.Itoa(code)
}
