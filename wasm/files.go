package wasm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hearthcloud/hearth/internal/wire"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/seal"
)

// UploadResult is what Upload returns: the file's id and, for an upload
// into a folder, whether it became a new version of a file of that name,
// or found that file holding these bytes already and uploaded nothing.
type UploadResult struct {
	ID        string `json:"id"`
	Version   bool   `json:"version,omitempty"`
	Unchanged bool   `json:"unchanged,omitempty"`
}

// MaxBrowserFile is the largest file the browser downloads into memory
// (download, for a preview): such a download is held whole until it
// verified (spec/web.md §3), in a 32-bit address space. A download
// streamed to a file (DownloadTo, Zip) has no such limit, and neither
// have uploads: a file sealed larger than 8 MiB goes through an upload
// session, one piece of 16 MiB in memory at a time (protocol §8.7.3), and
// a smaller one is one request, held whole by the fetch transport.
const MaxBrowserFile = 512 << 20

// Upload seals and uploads size bytes read from r as a file named name.
func (a *API) Upload(ctx context.Context, r io.Reader, size int64, name, mediaType string, mtime time.Time, progress func(done, total int64)) (*UploadResult, error) {
	c, gen, err := a.session()
	if err != nil {
		return nil, err
	}
	if size < 0 || size > seal.MaxBlobSize {
		return nil, &Error{Code: string(wire.CodeTooLarge), Message: "the file is larger than a file may be"}
	}
	id, err := c.Upload(ctx, r, size, cleanName(name), cleanType(mediaType), mtime, progress)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	a.persist(gen)
	return &UploadResult{ID: id}, nil
}

// cleanName makes a plain file name (spec/protocol.md §6.1) of what the
// browser gives.
func cleanName(n string) string {
	n = strings.ToValidUTF8(n, "_")
	n = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, n)
	for len(n) > seal.MaxNameLen {
		_, sz := utf8.DecodeLastRuneInString(n)
		n = n[:len(n)-sz]
	}
	if n == "" || n == "." || n == ".." {
		n = "file"
	}
	return n
}

func cleanType(t string) string {
	if len(t) > seal.MaxNameLen {
		return ""
	}
	for i := 0; i < len(t); i++ {
		if t[i] < 0x20 || t[i] > 0x7e {
			return ""
		}
	}
	return t
}

// FileInfo is what Download returns beside the content.
type FileInfo struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Type     string    `json:"type"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified,omitzero"`
}

// Download reads file id whole and returns it only once it verified: the
// client library writes authenticated chunks before its final check of the
// whole file, so nothing is released before Download returns nil.
func (a *API) Download(ctx context.Context, id string, progress func(done, total int64)) (*FileInfo, []byte, error) {
	c, gen, err := a.session()
	if err != nil {
		return nil, nil, err
	}
	if err := checkDoc(client.FilesDoctype, id, true); err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	info, err := c.DownloadProgress(ctx, id, &limitWriter{&buf, MaxBrowserFile}, progress)
	if err != nil {
		buf.Reset()
		return nil, nil, a.fail(gen, err)
	}
	a.persist(gen)
	return &FileInfo{ID: id, Name: info.Name, Type: info.Type, Size: info.Size, Modified: info.ModTime}, buf.Bytes(), nil
}

// limitWriter fails a download larger than the browser takes.
type limitWriter struct {
	w    io.Writer
	left int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, &Error{Code: string(wire.CodeTooLarge), Message: fmt.Sprintf("the browser takes files of up to %d MiB for now; the command line client takes any size", MaxBrowserFile>>20)}
	}
	l.left -= int64(len(p))
	return l.w.Write(p)
}

// DownloadTo streams file id to w, of any size. As for the client's
// Download, plaintext reaches w before the whole file verified: the
// caller releases nothing of what w got unless DownloadTo returns nil
// (the worker writes to a temporary file, spec/web.md §3).
func (a *API) DownloadTo(ctx context.Context, id string, w io.Writer, progress func(done, total int64)) (*FileInfo, error) {
	c, gen, err := a.session()
	if err != nil {
		return nil, err
	}
	if err := checkDoc(client.FilesDoctype, id, true); err != nil {
		return nil, err
	}
	info, err := c.DownloadProgress(ctx, id, w, progress)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	a.persist(gen)
	return &FileInfo{ID: id, Name: info.Name, Type: info.Type, Size: info.Size, Modified: info.ModTime}, nil
}

// Zip writes the files and folders ids (folders with all they hold that
// is not in the trash) to w as one ZIP archive (client.WriteZip, protocol
// §6.3), each file verified whole before its entry closes; on any failure
// it stops without the central directory, and the caller releases
// nothing of what w got. progress, if not nil, is called with the
// plaintext bytes written so far and their total.
func (a *API) Zip(ctx context.Context, ids []string, w io.Writer, progress func(done, total int64)) error {
	if len(ids) == 0 {
		return badInput("a zip of nothing")
	}
	for _, id := range ids {
		if err := checkDoc(client.FilesDoctype, id, true); err != nil {
			return err
		}
	}
	return a.filesCall(func(s session) error { return s.WriteZip(ctx, ids, w, progress) })
}
