package client

import (
	"time"

	"github.com/hearthcloud/hearth/crypto/kdf"
)

// Options configure a Client. The zero value (or nil) is fine.
type Options struct {
	// Transport carries every request; nil: a default with sane timeouts
	// (natively net/http, under GOOS=js the fetch API). Natively,
	// HTTPTransport makes one of an *http.Client. Redirects are never
	// followed (a 3xx answer is an error), so a host cannot bounce a
	// request, its body or its token to another address.
	Transport Transport
	Device    string     // session device name; "" -> "hearth"
	KDF       kdf.Params // sign-up and new-password parameters; zero: kdf.Default
	// Invite is the invitation code Signup sends, for a server whose
	// sign-up needs one (ServerInfo); other calls ignore it.
	Invite string
	// Previous, when it is the State of an earlier session of the same user
	// on the same server, is what Login and Recover start from: the highest
	// keyring revision, the feed position and the document revisions stay
	// remembered, so a host cannot roll the device back by making it log in
	// again. A State of another account or server is ignored.
	Previous *State
	// PreviousFor, when Previous is nil, gives it for an account known
	// only once the server answers: a sign-in with a passkey.
	PreviousFor func(user string) *State
	// UploadRetry is how long an upload through a session (a blob whose
	// sealed size exceeds 8 MiB, spec §8.7.3) keeps trying again after a
	// network error or a 5xx without progress before it gives up; zero:
	// 2 minutes.
	UploadRetry time.Duration
	// KDFChanged lets Login derive keys with another seed or other KDF
	// parameters than Previous remembers: the user changed the password on
	// another device. Without it, such a change is ErrIntegrity and
	// nothing is sent. The keyring must still descend from the one
	// Previous remembers.
	KDFChanged bool
}
