package wasm

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// Link management (spec/web.md §7.5), mapped on the client library's
// share links and drop links (client/links.go). Home's session has them,
// and an app's session (client.App, the Files app's) whose grant holds read
// and write on io.hearth.files; without them the client refuses with
// forbidden, as the server would.

// linksMethods are the rows of the method table (methods.go) of links.
var linksMethods = []method{
	{name: "share", need: needSession, call: r2((*API).Share)},             // (item, {expires, maxOpens, password, label}) → url
	{name: "shares", need: needSession, call: r0((*API).Shares)},           // () → [ShareView]
	{name: "unshare", need: needSession, call: e1((*API).Unshare)},         // (id)
	{name: "updateShare", need: needSession, call: e1((*API).UpdateShare)}, // (id)   republishes a folder link
	{name: "request", need: needSession, call: r2((*API).Request)},         // (folder, {expires, maxFiles, maxFileSize, maxTotal, label}) → url
	{name: "adoptDrops", need: needSession, call: r0((*API).AdoptDrops)},   // () → [{link, drop, fileId, name, error?}]
}

// linker is what a session needs for links: Home's (*client.Client) or an
// app's (*client.App).
type linker interface {
	Share(ctx context.Context, item string, o client.ShareOptions) (string, error)
	Shares(ctx context.Context) ([]client.ShareInfo, error)
	Unshare(ctx context.Context, id string) error
	UpdateShare(ctx context.Context, id string) error
	Request(ctx context.Context, folder string, o client.RequestOptions) (string, error)
	AdoptDrops(ctx context.Context) ([]client.Adopted, error)
}

var (
	_ linker = (*client.Client)(nil)
	_ linker = (*client.App)(nil)
)

func (a *API) links(fn func(l linker) error) error {
	return a.filesCall(func(s session) error {
		l, ok := s.(linker)
		if !ok {
			return &Error{Code: "forbidden", Message: "this session cannot make links"}
		}
		return fn(l)
	})
}

// linkOrigin is where links point: the base domain, Home's origin without
// its home. label (spec/web.md §1), which serves /s/ and /d/; Home's own
// origin answers them 404.
func (a *API) linkOrigin() string {
	u, err := url.Parse(a.server)
	if err != nil || u.Host == "" {
		return ""
	}
	u.Host = strings.TrimPrefix(u.Host, "home.")
	u.Path, u.RawQuery, u.Fragment = "", "", ""
	return u.String()
}

// ShareOptions are share's options; Expires in seconds (0: 7 days).
type ShareOptions struct {
	Expires  int64  `json:"expires"`
	MaxOpens int64  `json:"maxOpens"`
	Password string `json:"password"`
	Label    string `json:"label"`
}

// Share makes a share link to a file or folder and returns its URL.
func (a *API) Share(ctx context.Context, item string, o ShareOptions) (string, error) {
	return a.makeLink(func(l linker, origin string) (string, error) {
		return l.Share(ctx, item, client.ShareOptions{Expires: time.Duration(o.Expires) * time.Second,
			MaxOpens: o.MaxOpens, Password: o.Password, Label: o.Label, Origin: origin})
	})
}

// makeLink makes a link with mk, its URL on the links' origin, and returns
// the URL.
func (a *API) makeLink(mk func(l linker, origin string) (string, error)) (url string, err error) {
	err = a.links(func(l linker) (err error) {
		url, err = mk(l, a.linkOrigin())
		return err
	})
	return url, err
}

// ShareView is a link as shares lists it.
type ShareView struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	URL      string    `json:"url,omitempty"`
	Item     string    `json:"item,omitempty"`
	Label    string    `json:"label,omitempty"`
	Password bool      `json:"password"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	MaxOpens int64     `json:"maxOpens,omitempty"`
	Opens    int64     `json:"opens"`
	LastOpen time.Time `json:"lastOpen,omitzero"`
	Revoked  time.Time `json:"revoked,omitzero"`
	Failures int64     `json:"failures"`
	Pending  int64     `json:"pending,omitempty"`
}

// Shares lists the account's links, oldest first.
func (a *API) Shares(ctx context.Context) ([]ShareView, error) {
	var out []ShareView
	err := a.links(func(l linker) error {
		list, err := l.Shares(ctx)
		for _, s := range list {
			out = append(out, ShareView{ID: s.ID, Kind: s.Kind, URL: s.URL, Item: s.Item, Label: s.Label, Password: s.Password,
				Created: s.Created, Expires: s.Expires, MaxOpens: s.MaxOpens, Opens: s.Opens, LastOpen: s.LastOpen,
				Revoked: s.Revoked, Failures: s.Failures, Pending: s.Pending})
		}
		return err
	})
	if out == nil {
		out = []ShareView{}
	}
	return out, err
}

// Unshare revokes a link at once.
func (a *API) Unshare(ctx context.Context, id string) error {
	return a.links(func(l linker) error { return l.Unshare(ctx, id) })
}

// UpdateShare republishes a folder link's manifest.
func (a *API) UpdateShare(ctx context.Context, id string) error {
	return a.links(func(l linker) error { return l.UpdateShare(ctx, id) })
}

// RequestOptions are request's options; Expires in seconds (0: 7 days).
type RequestOptions struct {
	Expires     int64  `json:"expires"`
	MaxFiles    int64  `json:"maxFiles"`
	MaxFileSize int64  `json:"maxFileSize"`
	MaxTotal    int64  `json:"maxTotal"`
	Label       string `json:"label"`
}

// Request makes a drop link into a folder and returns its URL.
func (a *API) Request(ctx context.Context, folder string, o RequestOptions) (string, error) {
	return a.makeLink(func(l linker, origin string) (string, error) {
		return l.Request(ctx, folder, client.RequestOptions{Expires: time.Duration(o.Expires) * time.Second,
			MaxFiles: o.MaxFiles, MaxFileSize: o.MaxFileSize, MaxTotal: o.MaxTotal, Label: o.Label, Origin: origin})
	})
}

// AdoptedView is one drop AdoptDrops handled.
type AdoptedView struct {
	Link   string `json:"link"`
	Drop   string `json:"drop"`
	FileID string `json:"fileId,omitempty"`
	Name   string `json:"name,omitempty"`
	Error  string `json:"error,omitempty"`
}

// AdoptDrops files every pending drop into its link's folder.
func (a *API) AdoptDrops(ctx context.Context) ([]AdoptedView, error) {
	out := []AdoptedView{}
	err := a.links(func(l linker) error {
		list, err := l.AdoptDrops(ctx)
		for _, d := range list {
			v := AdoptedView{Link: d.Link, Drop: d.Drop, FileID: d.FileID, Name: d.Name}
			if d.Err != nil {
				v.Error = d.Err.Error()
			}
			out = append(out, v)
		}
		return err
	})
	return out, err
}
