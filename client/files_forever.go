package client

import (
	"context"
	"errors"
	"fmt"
)

// ErrNotInTrash: DeleteForever was given an item that is not in the trash.
var ErrNotInTrash = errors.New("not in the trash: only items in the trash are deleted for good")

// DeleteForever deletes items of the trash for good (§6.3), each with what
// it holds: the blobs of their content and versions, unless another live
// document names them, then the documents. Every id must be an item in the
// trash (one the person trashed, or inside a trashed folder); an item that
// is not is refused (ErrNotInTrash) before anything is deleted, one already
// gone is skipped. Links that covered them are brought up to date, as for
// EmptyTrash. Interrupted, it can be run again.
func (c *Client) DeleteForever(ctx context.Context, ids []string) error {
	t, err := c.Files(ctx)
	if err != nil {
		return err
	}
	var gone []string
	seen := map[string]bool{}
	for _, id := range ids {
		it := t.Item(id)
		if it == nil {
			continue
		}
		if !it.InTrash {
			return fmt.Errorf("%w (%s)", ErrNotInTrash, id)
		}
		for _, x := range append([]*FileItem{it}, t.Descendants(id)...) {
			if !seen[x.ID] {
				seen[x.ID] = true
				gone = append(gone, x.ID)
			}
		}
	}
	if len(gone) == 0 {
		return nil
	}
	if err := c.deleteItems(ctx, t, gone); err != nil {
		return err
	}
	return c.reshare(ctx, t, gone...)
}

// DeleteForever deletes items of the trash for good, as
// Client.DeleteForever (verbs read, write and delete).
func (a *App) DeleteForever(ctx context.Context, ids []string) error {
	if err := a.allow(FilesDoctype, VerbRead, VerbWrite, VerbDelete); err != nil {
		return err
	}
	return a.c.DeleteForever(ctx, ids)
}
