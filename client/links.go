package client

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/link"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Share links and drop links, the owner's side (spec/protocol.md §4.5,
// §8.12): Share makes a link to a file or folder, Shares lists them,
// UpdateShare republishes a folder's manifest, Unshare revokes, Request
// makes a drop link, AdoptDrops files what strangers dropped.

// ShareOptions are a share link's options.
type ShareOptions struct {
	Expires  time.Duration // from now; 0: the server's default (7 days)
	MaxOpens int64         // 0: no limit
	Password string        // "": none
	Label    string        // for the owner only (sealed in the link record)
	Origin   string        // where the link points; "": the client's server
}

// linkRecord is the owner's record of a link, a document of FilesDoctype
// (§4.5).
type linkRecord struct {
	Kind     string      `json:"kind"` // "link"
	Link     string      `json:"link"`
	URLKey   string      `json:"url_key"`
	Origin   string      `json:"origin"`
	Item     string      `json:"item,omitempty"`
	Label    string      `json:"label,omitempty"`
	Password bool        `json:"password"`
	PW       []byte      `json:"pw,omitempty"` // the password's Argon2id output, so any device of the owner can republish
	Share    string      `json:"share,omitempty"`
	Created  int64       `json:"created"`
	Drop     *dropRecord `json:"drop,omitempty"`
	// Adopted maps each drop adopted from a drop link to the file made of
	// it (§4.5): a drop the host lists again is not filed twice. A link
	// takes at most its max_files drops, so the map stays that small.
	Adopted map[string]string `json:"adopted,omitempty"`

	docID string // the record's document id, as the tree read it
}

type dropRecord struct {
	Identity string `json:"identity"`
	Folder   string `json:"folder"`
}

func (r *linkRecord) url(kind link.Kind) string {
	k, _ := link.DecodeKey(r.URLKey)
	return (&link.URL{Origin: r.Origin, Kind: kind, ID: r.Link, Key: k}).String()
}

func (r *linkRecord) keys() (*link.Keys, error) {
	k, err := link.DecodeKey(r.URLKey)
	if err != nil {
		return nil, integrity("link record %s has a malformed key", r.Link)
	}
	return link.Derive(r.Link, k, r.PW)
}

// Share makes a share link to the file or folder item (a document id or a
// '/'-path of names) and returns its URL. The server learns the link id,
// the options and the blob ids the link reaches; the URL's key and the
// password never leave this device.
func (c *Client) Share(ctx context.Context, item string, o ShareOptions) (string, error) {
	t, err := c.Files(ctx)
	if err != nil {
		return "", err
	}
	it, err := t.Resolve(item)
	if err != nil {
		return "", err
	}
	if it.InTrash {
		return "", fmt.Errorf("%w: %s is in the trash", ErrNotFound, cmp.Or(it.Name, it.ID))
	}
	item = it.ID
	m, err := c.buildManifest(ctx, t, item)
	if err != nil {
		return "", err
	}
	origin := o.Origin
	if origin == "" {
		origin = c.st.Server
	}
	u := link.New(origin, link.Share)
	body := map[string]any{"id": u.ID, "kind": "share", "version": 1, "blobs": manifestBlobs(m)}
	rec := &linkRecord{Kind: "link", Link: u.ID, URLKey: link.EncodeKey(u.Key), Origin: u.Origin, Item: item, Label: o.Label,
		Share: m.Kind, Created: time.Now().Unix()}
	if o.Password != "" {
		salt := link.NewSalt()
		pw, err := link.PasswordKey(o.Password, salt, c.kdf)
		if err != nil {
			return "", err
		}
		rec.Password, rec.PW = true, pw
		body["password"] = map[string]any{"salt": salt, "kdf": c.kdf}
	}
	keys, err := rec.keys()
	if err != nil {
		return "", err
	}
	sealed, err := link.SealManifest(keys, 1, m)
	if err != nil {
		return "", err
	}
	body["verifier"], body["manifest"] = keys.Verifier(), sealed
	if o.Expires > 0 {
		body["expires"] = time.Now().Add(o.Expires).UTC().Truncate(time.Second)
	}
	if o.MaxOpens > 0 {
		body["max_opens"] = o.MaxOpens
	}
	// The record first: a link the owner cannot find again is worse than a
	// record of a link the server refused (Shares shows it as unknown).
	if _, _, err := c.Create(ctx, FilesDoctype, mustJSON(rec)); err != nil {
		return "", err
	}
	if _, err := c.callJSON(ctx, "POST", "/v1/links", body, nil, nil, false); err != nil {
		return "", err
	}
	return u.String(), nil
}

// A ShareInfo is one of the account's links as the owner sees it.
type ShareInfo struct {
	ID       string
	URL      string // "" if this device has no record of the link
	Kind     string // share or drop
	Item     string // the shared file or folder, or the drop link's folder
	Label    string
	Password bool
	Created  time.Time
	Expires  time.Time
	MaxOpens int64
	Opens    int64
	LastOpen time.Time // zero: never
	Revoked  time.Time // zero: not revoked
	Failures int64
	Version  uint64
	Pending  int64 // drops waiting to be adopted
}

type linkJSON struct {
	ID       string     `json:"id"`
	Kind     string     `json:"kind"`
	Created  time.Time  `json:"created"`
	Expires  time.Time  `json:"expires"`
	MaxOpens int64      `json:"max_opens"`
	Opens    int64      `json:"opens"`
	LastOpen *time.Time `json:"last_open"`
	Failures int64      `json:"failures"`
	Password bool       `json:"password"`
	Version  uint64     `json:"version"`
	Revoked  *time.Time `json:"revoked"`
	Drop     *struct {
		Pending int64 `json:"pending"`
	} `json:"drop"`
}

// Shares lists the account's links, oldest first, with their opens and
// last use from the server and their labels and items from the owner's
// records.
func (c *Client) Shares(ctx context.Context) ([]ShareInfo, error) {
	var res struct {
		Links []linkJSON `json:"links"`
	}
	if _, err := c.callJSON(ctx, "GET", "/v1/links", nil, &res, nil, false); err != nil {
		return nil, err
	}
	t, err := c.Files(ctx)
	if err != nil {
		return nil, err
	}
	recs := t.links
	var out []ShareInfo
	for _, l := range res.Links {
		s := ShareInfo{ID: l.ID, Kind: l.Kind, Password: l.Password, Created: l.Created, Expires: l.Expires, MaxOpens: l.MaxOpens,
			Opens: l.Opens, Failures: l.Failures, Version: l.Version}
		if l.LastOpen != nil {
			s.LastOpen = *l.LastOpen
		}
		if l.Revoked != nil {
			s.Revoked = *l.Revoked
		}
		if l.Drop != nil {
			s.Pending = l.Drop.Pending
		}
		if r := recs[l.ID]; r != nil {
			kind := link.Share
			if l.Kind == "drop" {
				kind = link.Drop
			}
			s.URL, s.Label, s.Item = r.url(kind), r.Label, r.Item
			if r.Drop != nil {
				s.Item = r.Drop.Folder
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// Unshare revokes link id at once.
func (c *Client) Unshare(ctx context.Context, id string) error {
	if err := wire.CheckLinkID(id); err != nil {
		return err
	}
	_, err := c.call(ctx, request{method: "DELETE", path: "/v1/links/" + id})
	return err
}

// RequestOptions are a drop link's options.
type RequestOptions struct {
	Expires     time.Duration // 0: 7 days
	MaxFiles    int64         // 0: the server's default (100)
	MaxFileSize int64         // sealed bytes per file; 0: the server's limit
	MaxTotal    int64         // 0: the server's default (10 GiB)
	Label       string
	Origin      string
}

// Request makes a drop link into folder (a document id, a '/'-path, or
// "" or "/" for the root) and returns its URL: whoever holds it can drop
// files, which only the owner can read, into that folder (AdoptDrops
// files them).
func (c *Client) Request(ctx context.Context, folder string, o RequestOptions) (string, error) {
	t, err := c.Files(ctx)
	if err != nil {
		return "", err
	}
	if strings.Trim(folder, "/") == "" {
		folder = "" // the root
	} else {
		it, err := t.Resolve(folder)
		if err != nil {
			return "", err
		}
		folder = it.ID
	}
	if err := folderFor(t, folder); err != nil {
		return "", err
	}
	origin := o.Origin
	if origin == "" {
		origin = c.st.Server
	}
	u := link.New(origin, link.Drop)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", err
	}
	rec := &linkRecord{Kind: "link", Link: u.ID, URLKey: link.EncodeKey(u.Key), Origin: u.Origin, Label: o.Label,
		Created: time.Now().Unix(), Drop: &dropRecord{Identity: id.String(), Folder: folder}}
	keys, err := rec.keys()
	if err != nil {
		return "", err
	}
	r := id.Recipient().String()
	drop := map[string]any{"recipient": r, "tag": keys.RecipientTag(r)}
	for k, v := range map[string]int64{"max_files": o.MaxFiles, "max_file_size": o.MaxFileSize, "max_total": o.MaxTotal} {
		if v > 0 {
			drop[k] = v
		}
	}
	body := map[string]any{"id": u.ID, "kind": "drop", "verifier": keys.Verifier(), "drop": drop}
	if o.Expires > 0 {
		body["expires"] = time.Now().Add(o.Expires).UTC().Truncate(time.Second)
	}
	if _, _, err := c.Create(ctx, FilesDoctype, mustJSON(rec)); err != nil {
		return "", err
	}
	if _, err := c.callJSON(ctx, "POST", "/v1/links", body, nil, nil, false); err != nil {
		return "", err
	}
	return u.String(), nil
}

// An Adopted drop: the file it became, or why it was refused.
type Adopted struct {
	Link   string
	Drop   string
	FileID string // "" if refused
	Name   string
	Err    error // the drop did not open (forged or damaged) and was deleted; or another failure, and it stays
}

// AdoptDrops files every pending drop of the account's drop links: it
// opens each with its link's identity and checks its tag, seals it again
// as a file of its own in the link's folder, and deletes the drop. A drop
// that does not open (one the host made, or damaged) is deleted and
// reported with ErrIntegrity.
func (c *Client) AdoptDrops(ctx context.Context) (out []Adopted, err error) {
	t, err := c.Files(ctx)
	if err != nil {
		return nil, err
	}
	var folders []string // where files were adopted into, for their share links
	defer func() {
		if rerr := c.reshare(ctx, t, folders...); err == nil {
			err = rerr
		}
	}()
	for _, rec := range t.links {
		if rec.Drop == nil {
			continue
		}
		var res struct {
			Drops []struct {
				ID     string `json:"id"`
				Size   int64  `json:"size"`
				Digest []byte `json:"digest"`
			} `json:"drops"`
		}
		if _, err := c.callJSON(ctx, "GET", "/v1/links/"+rec.Link+"/drops", nil, &res, nil, false); err != nil {
			if errors.Is(err, ErrNotFound) {
				continue
			}
			return out, err
		}
		for _, d := range res.Drops {
			forget := func() {
				c.call(ctx, request{method: "DELETE", path: "/v1/links/" + rec.Link + "/drops/" + pathEscape(d.ID)})
			}
			// Filed before (a host listing it again, or a device that
			// stopped between filing it and deleting it): not again.
			if rec.Adopted[d.ID] != "" {
				forget()
				continue
			}
			if f := t.fileOfDrop(d.ID); f != "" {
				if err := c.recordAdopted(ctx, rec, d.ID, f); err != nil {
					return out, err
				}
				forget()
				continue
			}
			a := Adopted{Link: rec.Link, Drop: d.ID}
			a.FileID, a.Name, a.Err = c.adoptDrop(ctx, rec, d.ID, d.Size)
			if a.Err == nil {
				a.Err = c.recordAdopted(ctx, rec, d.ID, a.FileID)
			}
			out = append(out, a)
			if a.Err == nil {
				folders = append(folders, rec.Drop.Folder)
			}
			if a.Err == nil || errors.Is(a.Err, ErrIntegrity) {
				forget()
			}
		}
	}
	return out, nil
}

// adoptDrop streams one drop into a new file of the link's folder.
func (c *Client) adoptDrop(ctx context.Context, rec *linkRecord, dropID string, size int64) (string, string, error) {
	id, err := age.ParseX25519Identity(rec.Drop.Identity)
	if err != nil {
		return "", "", integrity("link record %s has a malformed identity", rec.Link)
	}
	keys, err := rec.keys()
	if err != nil {
		return "", "", err
	}
	req := &httpRequest{method: "GET", url: c.st.Server + "/v1/links/" + rec.Link + "/drops/" + pathEscape(dropID),
		header: map[string]string{"Authorization": "Bearer " + c.token()}}
	res, err := c.tr.roundTrip(ctx, req)
	if err != nil {
		return "", "", fmt.Errorf("client: %w", err)
	}
	defer res.body.Close()
	if res.status != statusOK {
		b, _ := io.ReadAll(io.LimitReader(res.body, 1<<20))
		return "", "", apiError(res, b)
	}
	br, err := link.OpenDrop(io.LimitReader(res.body, size+1), keys, dropID, id)
	if err != nil {
		return "", "", integrity("drop %s does not open with its link's key (forged or damaged)", dropID)
	}
	meta := br.Meta()
	sb, err := c.uploadBlob(ctx, FilesDoctype, &integrityReader{br}, seal.Meta{Name: meta.Name, Type: meta.Type, Size: meta.Size, Modified: meta.Modified}, nil)
	if err != nil {
		return "", meta.Name, err
	}
	fileID, err := c.createFile(ctx, rec.Drop.Folder, meta.Name, meta.Type, meta.Size, fromUnix(meta.Modified), sb, contentSum{}, dropID)
	return fileID, meta.Name, err
}

// recordAdopted writes into the link's record that drop became file. When
// another device recorded the drop first, as another file, this one's copy
// goes (a drop is filed once).
func (c *Client) recordAdopted(ctx context.Context, rec *linkRecord, drop, file string) error {
	if rec.docID == "" {
		return fmt.Errorf("client: the record of link %s was not read from the files", rec.Link)
	}
	_, err := c.editFilesDoc(ctx, rec.docID, false, func(_ *filesDoc, m docEdit) error {
		var adopted map[string]string
		if raw, ok := m["adopted"]; ok && json.Unmarshal(raw, &adopted) != nil {
			return integrity("the record of link %s has a malformed list of adopted drops", rec.Link)
		}
		if adopted == nil {
			adopted = map[string]string{}
		}
		if f := adopted[drop]; f != "" && f != file {
			return errAdoptedElsewhere
		}
		adopted[drop] = file
		m.set("adopted", adopted)
		rec.Adopted = adopted
		return nil
	})
	if errors.Is(err, errAdoptedElsewhere) {
		return c.DeleteFile(ctx, file)
	}
	return err
}

var errAdoptedElsewhere = errors.New("client: another device filed this drop")

// integrityReader reports a read failure of an opened drop as the
// integrity error it is.
type integrityReader struct{ r io.Reader }

func (i *integrityReader) Read(p []byte) (int, error) {
	n, err := i.r.Read(p)
	if err != nil && err != io.EOF {
		err = &integrityError{detail: "a drop failed to authenticate", err: err}
	}
	return n, err
}
