package client

import "context"

// The link methods of an app (spec/protocol.md §8.12): links give out
// files of FilesDoctype, so an app makes and manages them only when its
// grant holds both read and write on FilesDoctype, as the server checks
// (access "files", §8.1.5). AdoptDrops needs no delete: the drop is the
// link's, and a drop that is adopted or refused is deleted under the same
// access.

func (a *App) allowLinks() error { return a.allow(FilesDoctype, VerbRead, VerbWrite) }

// Share makes a share link, as Client.Share (verbs read and write).
func (a *App) Share(ctx context.Context, item string, o ShareOptions) (string, error) {
	if err := a.allowLinks(); err != nil {
		return "", err
	}
	return a.c.Share(ctx, item, o)
}

// Shares lists the account's links, as Client.Shares (verbs read and
// write).
func (a *App) Shares(ctx context.Context) ([]ShareInfo, error) {
	if err := a.allowLinks(); err != nil {
		return nil, err
	}
	return a.c.Shares(ctx)
}

// Unshare revokes a link, as Client.Unshare (verbs read and write).
func (a *App) Unshare(ctx context.Context, id string) error {
	if err := a.allowLinks(); err != nil {
		return err
	}
	return a.c.Unshare(ctx, id)
}

// UpdateShare republishes a folder link, as Client.UpdateShare (verbs read
// and write).
func (a *App) UpdateShare(ctx context.Context, id string) error {
	if err := a.allowLinks(); err != nil {
		return err
	}
	return a.c.UpdateShare(ctx, id)
}

// Request makes a drop link, as Client.Request (verbs read and write).
func (a *App) Request(ctx context.Context, folder string, o RequestOptions) (string, error) {
	if err := a.allowLinks(); err != nil {
		return "", err
	}
	return a.c.Request(ctx, folder, o)
}

// AdoptDrops files the pending drops, as Client.AdoptDrops (verbs read and
// write).
func (a *App) AdoptDrops(ctx context.Context) ([]Adopted, error) {
	if err := a.allowLinks(); err != nil {
		return nil, err
	}
	return a.c.AdoptDrops(ctx)
}
