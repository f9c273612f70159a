package client

import (
	"context"
	"io"
	"time"
)

// The files operations of an app, as the Client's, with the verbs of
// FilesDoctype each needs.

// SetOnWrite is Client.SetOnWrite.
func (a *App) SetOnWrite(fn func(doctype, id string, rev uint64, content []byte)) { a.c.SetOnWrite(fn) }

// SetFilesSource is Client.SetFilesSource.
func (a *App) SetFilesSource(src FilesSource) { a.c.SetFilesSource(src) }

// Files lists the files and folders, as Client.Files (verb read).
func (a *App) Files(ctx context.Context) (*Tree, error) {
	if err := a.allow(FilesDoctype, VerbRead); err != nil {
		return nil, err
	}
	return a.c.Files(ctx)
}

// Mkdir makes a folder, as Client.Mkdir (verbs read and write).
func (a *App) Mkdir(ctx context.Context, parent, name string) (string, error) {
	if err := a.allow(FilesDoctype, VerbRead, VerbWrite); err != nil {
		return "", err
	}
	return a.c.Mkdir(ctx, parent, name)
}

// Rename renames an item, as Client.Rename (verbs read and write).
func (a *App) Rename(ctx context.Context, id, name string) error {
	if err := a.allow(FilesDoctype, VerbRead, VerbWrite); err != nil {
		return err
	}
	return a.c.Rename(ctx, id, name)
}

// Move moves items, as Client.Move (verbs read and write).
func (a *App) Move(ctx context.Context, ids []string, parent string) error {
	if err := a.allow(FilesDoctype, VerbRead, VerbWrite); err != nil {
		return err
	}
	return a.c.Move(ctx, ids, parent)
}

// Trash puts items in the trash, as Client.Trash (verbs read and write).
func (a *App) Trash(ctx context.Context, ids []string) error {
	if err := a.allow(FilesDoctype, VerbRead, VerbWrite); err != nil {
		return err
	}
	return a.c.Trash(ctx, ids)
}

// Restore takes items out of the trash, as Client.Restore (verbs read and
// write).
func (a *App) Restore(ctx context.Context, ids []string) error {
	if err := a.allow(FilesDoctype, VerbRead, VerbWrite); err != nil {
		return err
	}
	return a.c.Restore(ctx, ids)
}

// EmptyTrash empties the trash, as Client.EmptyTrash (verbs read, write
// and delete).
func (a *App) EmptyTrash(ctx context.Context) error {
	if err := a.allow(FilesDoctype, VerbRead, VerbWrite, VerbDelete); err != nil {
		return err
	}
	return a.c.EmptyTrash(ctx)
}

// Versions lists a file's earlier versions, as Client.Versions (verb
// read).
func (a *App) Versions(ctx context.Context, id string) ([]FileVersion, error) {
	if err := a.allow(FilesDoctype, VerbRead); err != nil {
		return nil, err
	}
	return a.c.Versions(ctx, id)
}

// RestoreVersion restores a file's earlier version, as
// Client.RestoreVersion (verbs read, write and delete: a version may be
// dropped).
func (a *App) RestoreVersion(ctx context.Context, id string, i int) error {
	if err := a.allow(FilesDoctype, VerbRead, VerbWrite, VerbDelete); err != nil {
		return err
	}
	return a.c.RestoreVersion(ctx, id, i)
}

// SetVersionsKept sets how many versions are kept, as
// Client.SetVersionsKept (verbs read and write).
func (a *App) SetVersionsKept(ctx context.Context, n int) error {
	if err := a.allow(FilesDoctype, VerbRead, VerbWrite); err != nil {
		return err
	}
	return a.c.SetVersionsKept(ctx, n)
}

// UploadTo uploads a file into a folder, as Client.UploadTo (verbs read,
// write and delete: a version may be dropped).
func (a *App) UploadTo(ctx context.Context, parent string, r io.Reader, size int64, name, mediaType string, mtime time.Time, progress func(done, total int64)) (string, error) {
	if err := a.allow(FilesDoctype, VerbRead, VerbWrite, VerbDelete); err != nil {
		return "", err
	}
	return a.c.UploadTo(ctx, parent, r, size, name, mediaType, mtime, progress)
}

// UploadFile is UploadTo, saying what became of the upload, as
// Client.UploadFile (verbs read, write and delete).
func (a *App) UploadFile(ctx context.Context, parent string, r io.Reader, size int64, name, mediaType string, mtime time.Time, progress func(done, total int64)) (Uploaded, error) {
	if err := a.allow(FilesDoctype, VerbRead, VerbWrite, VerbDelete); err != nil {
		return Uploaded{}, err
	}
	return a.c.UploadFile(ctx, parent, r, size, name, mediaType, mtime, progress)
}

// WriteZip writes files and folders as a zip, as Client.WriteZip (verb
// read).
func (a *App) WriteZip(ctx context.Context, ids []string, w io.Writer, progress func(done, total int64)) error {
	if err := a.allow(FilesDoctype, VerbRead); err != nil {
		return err
	}
	return a.c.WriteZip(ctx, ids, w, progress)
}
