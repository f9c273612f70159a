package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/bytesize"
	"github.com/hearthcloud/hearth/internal/wire"
)

// The limits an upload meets (protocol §8.1.10): the largest blob the
// server stores, which it states in GET /v1/server (§8.2.9), and the
// account's byte quota, which GET /v1/account states to a session
// (§8.2.8). Before an upload sends anything, the client checks its files
// against them, so that a person learns the limit at once, in numbers;
// the server checks again, and its refusals carry the same numbers
// (limit, left), which become the same errors.

// FileTooLargeError is a file larger than the server takes: Size is its
// length and Max the longest file the server takes (its limit is on
// sealed bytes: Max is what seals to at most that, for this file's name).
type FileTooLargeError struct {
	Name      string
	Size, Max int64
}

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("%s is %s; this server takes files up to %s", e.Name, bytesize.Format(e.Size), bytesize.Format(e.Max))
}

// NoRoomError is an upload the account's storage quota has no room for
// (it is also ErrAccountFull): Left and Quota are the bytes left and the
// quota, Need what the upload needs (0: not known), as the quota counts
// them (sealed sizes).
type NoRoomError struct {
	Need, Left, Quota int64
}

func (e *NoRoomError) Error() string {
	s := fmt.Sprintf("not enough space: %s left of %s", bytesize.Format(e.Left), bytesize.Format(e.Quota))
	if e.Need > 0 {
		s += fmt.Sprintf(", and this needs %s", bytesize.Format(e.Need))
	}
	return s + ": delete something (the trash too), or ask the server's operator for more room"
}

func (e *NoRoomError) Is(target error) bool { return target == ErrAccountFull }

// upSize is a file about to be uploaded, as checkUpload takes it. same:
// the folder holds a file of that name and length, which the upload may
// find unchanged (and then sends nothing): it is not checked.
type upSize struct {
	name string
	size int64
	same bool
}

// checkUpload checks files against the server's largest blob and, for a
// signed-in account (not an app, which cannot read the account's usage),
// the room left in its quota, before anything is sent: a
// *FileTooLargeError for the first file too large, a *NoRoomError when
// they do not fit together. A server that states no limit, or an answer
// that fails, checks nothing: the server refuses what it must anyway.
func (c *Client) checkUpload(ctx context.Context, files []upSize) error {
	largest := c.maxBlob(ctx)
	ks, err := c.keys(ctx, FilesDoctype, 0, true)
	if err != nil {
		return err
	}
	k := ks.Current()
	if k == nil {
		return nil
	}
	var need int64
	for _, f := range files {
		if f.same {
			continue
		}
		sealed, err := sealedSize(k, f.name, f.size)
		if err != nil {
			return err
		}
		if largest > 0 && sealed > largest {
			return &FileTooLargeError{Name: f.name, Size: f.size, Max: largestFile(k, f.name, largest)}
		}
		need += sealed
	}
	if c.ring() == nil || need == 0 {
		return nil
	}
	a, err := c.Account(ctx)
	if err != nil || a.Quota.Bytes == nil {
		return nil
	}
	// need is less than what the upload will count (its documents and
	// feed entries too): never a refusal the server would not make.
	if left := max(0, *a.Quota.Bytes-a.Usage.Bytes); need > left {
		return &NoRoomError{Need: need, Left: left, Quota: *a.Quota.Bytes}
	}
	return nil
}

// sameLength reports whether target, a file of t, has length size (an
// upload onto it may find it unchanged).
func sameLength(t *Tree, target string, size int64) bool {
	d := t.docs[target]
	return target != "" && d != nil && d.Kind == KindFile && !d.old && d.Length == size
}

// maxBlob is the server's largest blob, read once per Client from GET
// /v1/server; 0 when it does not say.
func (c *Client) maxBlob(ctx context.Context) int64 {
	c.mu.Lock()
	n, at := c.limits.maxBlob, c.limits.at
	c.mu.Unlock()
	if !at.IsZero() {
		return n
	}
	var info ServerInfo
	if _, err := c.callJSON(ctx, "GET", "/v1/server", nil, &info, nil, true); err != nil {
		return 0 // asked again next time
	}
	c.mu.Lock()
	c.limits.maxBlob, c.limits.at = info.MaxBlob, time.Now()
	c.mu.Unlock()
	return info.MaxBlob
}

// serverLimits is what a Client read of the server's limits.
type serverLimits struct {
	maxBlob int64
	at      time.Time // when read; zero: not yet
}

// sealedSize is the sealed size of a file of size bytes named name.
func sealedSize(k *seal.Key, name string, size int64) (int64, error) {
	if size < 0 || size > seal.MaxBlobSize {
		return 0, fmt.Errorf("client: bad file size %d", size)
	}
	return seal.SealedBlobSize(k, seal.PurposeFile, seal.BlobRef{Doctype: FilesDoctype, ID: wire.NewID()}, blobMeta(size, name, "", time.Time{}))
}

// largestFile is the longest file named name that seals to at most max
// bytes (0 if none does).
func largestFile(k *seal.Key, name string, max int64) int64 {
	lo, hi := int64(0), min(max, seal.MaxBlobSize)
	if n, err := sealedSize(k, name, 0); err != nil || n > max {
		return 0
	}
	for lo < hi { // sealedSize(lo) <= max
		mid := lo + (hi-lo+1)/2
		if n, err := sealedSize(k, name, mid); err == nil && n <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// limitError turns the server's refusal of a file's upload for a limit
// into the error CheckUpload would have given, with the numbers the
// server sent (limit, left); other errors are returned as they are.
func (c *Client) limitError(ctx context.Context, err error, name string, size int64) error {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != wire.CodeTooLarge || ae.Limit <= 0 {
		return err
	}
	if ae.Quota {
		return &NoRoomError{Left: max(0, ae.Left), Quota: ae.Limit}
	}
	ks, kerr := c.keys(ctx, FilesDoctype, 0, false)
	if kerr != nil || ks.Current() == nil {
		return err
	}
	if sealed, serr := sealedSize(ks.Current(), name, size); serr != nil || sealed <= ae.Limit {
		return err // another limit than the file's size (a piece, say)
	}
	return &FileTooLargeError{Name: name, Size: size, Max: largestFile(ks.Current(), name, ae.Limit)}
}
