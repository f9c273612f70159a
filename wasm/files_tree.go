package wasm

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// filesMethods are the rows of the method table (methods.go) of the Files
// app's operations (spec/web.md §3.5): a person's files and folders as
// sealed documents of io.hearth.files (protocol §6.3).
var filesMethods = []method{
	{name: "filesTree", need: needSession, call: r0((*API).FilesTree)},                       // () → {items: [FileItem], versionsKept, malformed?}
	{name: "filesMkdir", need: needSession, call: r2((*API).FilesMkdir)},                     // (parent, name) → {id}   parent: a folder id, "" the root
	{name: "filesRename", need: needSession, call: e2((*API).FilesRename)},                   // (id, name)
	{name: "filesMove", need: needSession, call: e2((*API).FilesMove)},                       // (ids, parent)
	{name: "filesTrash", need: needSession, call: e1((*API).FilesTrash)},                     // (ids)
	{name: "filesRestore", need: needSession, call: e1((*API).FilesRestore)},                 // (ids)
	{name: "filesEmptyTrash", need: needSession, call: e0((*API).FilesEmptyTrash)},           // ()
	{name: "filesDeleteForever", need: needSession, call: e1((*API).FilesDeleteForever)},     // (ids)   items in the trash
	{name: "filesVersions", need: needSession, call: r1((*API).FilesVersions)},               // (id) → [{length, modified?, replaced?}]   newest first
	{name: "filesRestoreVersion", need: needSession, call: e2((*API).FilesRestoreVersion)},   // (id, n)   n: 0 the newest earlier version
	{name: "filesSetVersionsKept", need: needSession, call: e1((*API).FilesSetVersionsKept)}, // (n)   0 to 100
}

// FileItem is a file or folder as filesTree lists it.
type FileItem struct {
	ID       string    `json:"id"`
	Rev      uint64    `json:"rev"`
	Kind     string    `json:"kind"`           // "file" or "folder"
	Name     string    `json:"name,omitempty"` // absent: an old-format file not read yet (show the id)
	Parent   string    `json:"parent"`         // as resolved: "" the root
	Type     string    `json:"type,omitempty"`
	Length   int64     `json:"length"` // a folder's: what it holds, but the trash
	Modified time.Time `json:"modified,omitzero"`
	Trashed  time.Time `json:"trashed,omitzero"` // put in the trash itself, then
	InTrash  bool      `json:"inTrash,omitempty"`
	// From and FromGone: where an item put in the trash came from, the
	// names of the folders from the root ([]: the root), and whether that
	// folder is gone (restoring makes it again; with From empty too, the
	// item goes to the root).
	From      []string `json:"from,omitempty"`
	FromGone  bool     `json:"fromGone,omitempty"`
	Versions  int      `json:"versions,omitempty"` // how many earlier versions
	OldFormat bool     `json:"oldFormat,omitempty"`
}

// FilesTreeResult is what filesTree answers.
type FilesTreeResult struct {
	Items        []FileItem `json:"items"`
	VersionsKept int        `json:"versionsKept"`
	Malformed    []string   `json:"malformed,omitempty"`
}

// FileVersion is an earlier version of a file, as filesVersions lists it.
type FileVersion struct {
	Length   int64     `json:"length"`
	Modified time.Time `json:"modified,omitzero"`
	Replaced time.Time `json:"replaced,omitzero"`
}

// filesError maps the files operations' refusals to codes: a name taken
// is exists (as protocol §9 has it); the others are bad_input.
func filesError(err error) error {
	switch {
	case errors.Is(err, client.ErrNameTaken):
		return &Error{Code: string(wire.CodeExists), Message: err.Error(), err: err}
	case errors.Is(err, client.ErrNotFolder), errors.Is(err, client.ErrMoveIntoItself), errors.Is(err, client.ErrBadName), errors.Is(err, client.ErrNotInTrash):
		return &Error{Code: CodeBadInput, Message: err.Error(), err: err}
	}
	return err
}

// filesCall runs fn with the session, maps its error, and keeps what the
// session learned.
func (a *API) filesCall(fn func(s session) error) error {
	c, gen, err := a.session()
	if err != nil {
		return err
	}
	if err := fn(c); err != nil {
		return a.fail(gen, filesError(err))
	}
	a.persist(gen)
	return nil
}

// FilesTree lists every file and folder, the trash too, as a flat list.
func (a *API) FilesTree(ctx context.Context) (*FilesTreeResult, error) {
	var t *client.Tree
	err := a.filesCall(func(s session) (err error) {
		t, err = s.Files(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &FilesTreeResult{Items: make([]FileItem, 0, t.Len()), VersionsKept: t.VersionsKept, Malformed: t.Malformed}
	t.Walk(func(it *client.FileItem) {
		kind := client.KindFile
		if it.Folder {
			kind = client.KindFolder
		}
		out.Items = append(out.Items, FileItem{ID: it.ID, Rev: it.Rev, Kind: kind, Name: it.Name, Parent: it.Parent, Type: it.Type,
			Length: it.Length, Modified: it.ModTime, Trashed: it.Trashed, InTrash: it.InTrash, Versions: len(it.Versions), OldFormat: it.OldFormat,
			From: it.TrashedFrom, FromGone: it.FromGone})
	})
	return out, nil
}

// FilesMkdir makes a folder.
func (a *API) FilesMkdir(ctx context.Context, parent, name string) (*UploadResult, error) {
	var id string
	err := a.filesCall(func(s session) (err error) {
		id, err = s.Mkdir(ctx, parent, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &UploadResult{ID: id}, nil
}

// FilesRename renames an item.
func (a *API) FilesRename(ctx context.Context, id, name string) error {
	return a.filesCall(func(s session) error { return s.Rename(ctx, id, name) })
}

// FilesMove moves items into a folder ("" the root).
func (a *API) FilesMove(ctx context.Context, ids []string, parent string) error {
	return a.filesCall(func(s session) error { return s.Move(ctx, ids, parent) })
}

// FilesTrash puts items in the trash.
func (a *API) FilesTrash(ctx context.Context, ids []string) error {
	return a.filesCall(func(s session) error { return s.Trash(ctx, ids) })
}

// FilesRestore takes items out of the trash.
func (a *API) FilesRestore(ctx context.Context, ids []string) error {
	return a.filesCall(func(s session) error { return s.Restore(ctx, ids) })
}

// FilesDeleteForever deletes items of the trash for good, with what they
// hold.
func (a *API) FilesDeleteForever(ctx context.Context, ids []string) error {
	return a.filesCall(func(s session) error { return s.DeleteForever(ctx, ids) })
}

// FilesEmptyTrash deletes what the trash holds, for good.
func (a *API) FilesEmptyTrash(ctx context.Context) error {
	return a.filesCall(func(s session) error { return s.EmptyTrash(ctx) })
}

// FilesVersions lists a file's earlier versions, newest first.
func (a *API) FilesVersions(ctx context.Context, id string) ([]FileVersion, error) {
	var vs []client.FileVersion
	err := a.filesCall(func(s session) (err error) {
		vs, err = s.Versions(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]FileVersion, len(vs))
	for i, v := range vs {
		out[i] = FileVersion{Length: v.Length, Modified: v.ModTime, Replaced: v.Replaced}
	}
	return out, nil
}

// FilesRestoreVersion makes earlier version n (0 the newest) current.
func (a *API) FilesRestoreVersion(ctx context.Context, id string, n int) error {
	return a.filesCall(func(s session) error { return s.RestoreVersion(ctx, id, n) })
}

// FilesSetVersionsKept sets how many earlier versions a file keeps.
func (a *API) FilesSetVersionsKept(ctx context.Context, n int) error {
	return a.filesCall(func(s session) error { return s.SetVersionsKept(ctx, n) })
}

// UploadTo seals and uploads size bytes read from r as a file named name
// into folder parent ("" the root), a new version of a file of that name
// there (client.UploadTo).
func (a *API) UploadTo(ctx context.Context, parent string, r io.Reader, size int64, name, mediaType string, mtime time.Time, progress func(done, total int64)) (*UploadResult, error) {
	if size < 0 || size > seal.MaxBlobSize { // any size: large files go through upload sessions (files.go)
		return nil, &Error{Code: string(wire.CodeTooLarge), Message: "the file is larger than a file may be"}
	}
	var u client.Uploaded
	err := a.filesCall(func(s session) (err error) {
		u, err = s.UploadFile(ctx, parent, r, size, cleanName(name), cleanType(mediaType), mtime, progress)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &UploadResult{ID: u.ID, Version: u.Version, Unchanged: u.Unchanged}, nil
}
