package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hearthcloud/hearth/crypto/seal"
)

// Upload seals and uploads a file of exactly size bytes read from r,
// streaming (never holding it whole), then writes a new file document at
// the root naming the blob (§6.3), always a new file, even if one of that
// name exists (UploadTo makes a new version then). It returns the
// document's id, the file id to show to users. progress, if not nil, is
// called with plaintext bytes sent so far.
func (c *Client) Upload(ctx context.Context, r io.Reader, size int64, name, mediaType string, mtime time.Time, progress func(done, total int64)) (fileID string, err error) {
	if err := CheckFileName(name); err != nil {
		return "", err
	}
	if err := c.checkUpload(ctx, []upSize{{name: name, size: size}}); err != nil {
		return "", err
	}
	mr, err := c.macOf(ctx, r, size)
	if err != nil {
		return "", err
	}
	b, err := c.uploadBlob(ctx, FilesDoctype, mr.reader(), blobMeta(size, name, mediaType, mtime), progress)
	if err != nil {
		return "", c.limitError(ctx, err, name, size)
	}
	return c.createFile(ctx, "", name, mediaType, size, mtime, b, mr.sum())
}

func blobMeta(size int64, name, mediaType string, mtime time.Time) seal.Meta {
	return seal.Meta{Name: name, Type: mediaType, Size: size, Modified: unix(mtime)}
}

// createFile writes the document of a new file whose content is blob b,
// deleting the blob if the server refused the document (after a cut
// connection, a timeout or a 5xx it may have been stored, and then
// deleting the blob would leave a file that names nothing: an unnamed
// blob costs only space).
func (c *Client) createFile(ctx context.Context, parent, name, mediaType string, size int64, mtime time.Time, b SealedBlob, sum contentSum, drop ...string) (string, error) {
	m := docEdit{}
	m.set("kind", KindFile)
	if len(drop) > 0 {
		m.set("from_drop", drop[0]) // adopted from this drop (§4.5)
	}
	m.set("name", name)
	m.set("parent", parent)
	m.setContent(b, size, unix(mtime), mediaType)
	sum.set(m)
	id, err := c.createFilesDoc(ctx, m)
	if err != nil {
		if refused(err) {
			c.deleteBlob(FilesDoctype, b.ID)
		}
		return "", err
	}
	return id, nil
}

// UploadTo uploads a file into folder parent ("" for the root), as Upload
// does. If the folder holds a file of that name, the upload becomes its
// new content and the content it replaces its newest earlier version
// (§6.3), keeping as many as the settings say (SetVersionsKept; the
// blobs of the versions dropped are deleted); unless the file holds these
// very bytes already (its mac, contentmac.go: r is then read twice), and
// then nothing is uploaded. The file's id is returned. A folder of that
// name is ErrNameTaken.
func (c *Client) UploadTo(ctx context.Context, parent string, r io.Reader, size int64, name, mediaType string, mtime time.Time, progress func(done, total int64)) (string, error) {
	u, err := c.UploadFile(ctx, parent, r, size, name, mediaType, mtime, progress)
	return u.ID, err
}

// Uploaded is what became of a file uploaded into a folder.
type Uploaded struct {
	ID string
	// Version says the upload became a new version of a file of that
	// name; Unchanged, that the file held these bytes already, and
	// nothing was uploaded.
	Version, Unchanged bool
}

// UploadFile is UploadTo, saying what became of the upload.
func (c *Client) UploadFile(ctx context.Context, parent string, r io.Reader, size int64, name, mediaType string, mtime time.Time, progress func(done, total int64)) (Uploaded, error) {
	if err := CheckFileName(name); err != nil {
		return Uploaded{}, err
	}
	t, err := c.filesIn(ctx, parent)
	if err != nil {
		return Uploaded{}, err
	}
	target, err := fileNamed(t, parent, name)
	if err != nil {
		return Uploaded{}, err
	}
	if err := c.checkUpload(ctx, []upSize{{name: name, size: size, same: sameLength(t, target, size)}}); err != nil {
		return Uploaded{}, err
	}
	u, err := c.uploadInto(ctx, t, parent, target, r, size, name, mediaType, mtime, progress)
	if err != nil || u.Unchanged {
		return u, err
	}
	return u, c.reshare(ctx, t, parent, u.ID)
}

// fileNamed returns the file of name in folder parent of t, or nil if
// there is none; a folder of that name is ErrNameTaken.
func fileNamed(t *Tree, parent, name string) (string, error) {
	target := ""
	for _, it := range t.named(parent, name) {
		if it.Folder {
			return "", fmt.Errorf("%w: %s is a folder", ErrNameTaken, name)
		}
		if target == "" {
			target = it.ID
		}
	}
	return target, nil
}

// uploadInto uploads a file into folder parent: a new file, or, when
// target is not "", a new version of file target, unless target holds
// these bytes already (unchanged). t is the tree the caller read (for
// the versions kept, and the blobs other documents name).
func (c *Client) uploadInto(ctx context.Context, t *Tree, parent, target string, r io.Reader, size int64, name, mediaType string, mtime time.Time, progress func(done, total int64)) (Uploaded, error) {
	if target != "" {
		same, err := c.unchanged(ctx, target, t.docs[target], r, size)
		if err != nil || same {
			return Uploaded{ID: target, Unchanged: same}, err
		}
	}
	mr, err := c.macOf(ctx, r, size)
	if err != nil {
		return Uploaded{}, err
	}
	b, err := c.uploadBlob(ctx, FilesDoctype, mr.reader(), blobMeta(size, name, mediaType, mtime), progress)
	if err != nil {
		return Uploaded{}, c.limitError(ctx, err, name, size)
	}
	sum := mr.sum()
	if target == "" {
		id, err := c.createFile(ctx, parent, name, mediaType, size, mtime, b, sum)
		return Uploaded{ID: id}, err
	}
	var dropped []string
	notFile := false
	_, err = c.editFilesDoc(ctx, target, false, func(d *filesDoc, m docEdit) error {
		if notFile = d.Kind != KindFile; notFile {
			return fmt.Errorf("%w: %s is not a file", ErrNameTaken, name)
		}
		vs := append([]fileVersion{d.current(now().Unix())}, d.versions...)
		vs, dropped = trimVersions(vs, t.VersionsKept)
		m.set("kind", KindFile)
		m.set("name", name)
		m.set("versions", vs)
		m.setContent(b, size, unix(mtime), mediaType)
		sum.set(m)
		return nil
	})
	if err != nil {
		if refused(err) || notFile || errors.Is(err, ErrNotFound) {
			c.deleteBlob(FilesDoctype, b.ID) // nothing names it
		}
		return Uploaded{}, err
	}
	return Uploaded{ID: target, Version: true}, c.deleteBlobs(ctx, t, dropped, map[string]bool{target: true})
}

// current returns a file's current content as a version replaced at
// replaced.
func (d *filesDoc) current(replaced int64) fileVersion {
	return fileVersion{Blob: d.Blob, Digest: d.Digest, Size: d.Size, Length: d.Length, MTime: d.MTime, Replaced: replaced, MAC: d.MAC, MACGen: d.MACGen}
}

// trimVersions keeps the first n of vs and returns the blobs of the rest.
func trimVersions(vs []fileVersion, n int) (kept []fileVersion, dropped []string) {
	if len(vs) <= n {
		return vs, nil
	}
	for _, v := range vs[n:] {
		dropped = append(dropped, v.Blob)
	}
	return vs[:n], dropped
}

// Versions returns the earlier contents of file id, newest first.
func (c *Client) Versions(ctx context.Context, id string) ([]FileVersion, error) {
	content, _, err := c.filesDocAt(ctx, id, true)
	if err != nil {
		return nil, err
	}
	d, err := parseFilesDoc(content)
	if err != nil || d.Kind != KindFile {
		return nil, fmt.Errorf("client: %s is not a file", id)
	}
	t := buildTree(map[string]*filesDoc{id: d}, nil)
	return t.Item(id).Versions, nil
}

// RestoreVersion makes version i (0 the newest, as Versions lists them)
// of file id its current content; the current one becomes the newest
// earlier version.
func (c *Client) RestoreVersion(ctx context.Context, id string, i int) error {
	t, err := c.Files(ctx)
	if err != nil {
		return err
	}
	var dropped []string
	_, err = c.editFilesDoc(ctx, id, false, func(d *filesDoc, m docEdit) error {
		if d.Kind != KindFile || d.old {
			return fmt.Errorf("client: %s is not a file", id)
		}
		if i < 0 || i >= len(d.versions) {
			return fmt.Errorf("%w: file %s has %d earlier versions, not %d", ErrNotFound, id, len(d.versions), i+1)
		}
		v := d.versions[i]
		vs := append([]fileVersion{d.current(now().Unix())}, d.versions[:i]...)
		vs = append(vs, d.versions[i+1:]...)
		vs, dropped = trimVersions(vs, t.VersionsKept)
		m.set("versions", vs)
		m.setContent(SealedBlob{ID: v.Blob, Digest: v.Digest, Size: v.Size}, v.Length, v.MTime, d.Type)
		contentSum{mac: v.MAC, gen: v.MACGen}.set(m)
		return nil
	})
	if err != nil {
		return err
	}
	reshared := c.reshare(ctx, t, id)
	if err := c.deleteBlobs(ctx, t, dropped, map[string]bool{id: true}); err != nil {
		return err
	}
	return reshared
}

// SetVersionsKept sets how many earlier versions of a file are kept (0 to
// 100; the default is 10), in the settings document (§6.3). Files keep
// what they have until their next new version.
func (c *Client) SetVersionsKept(ctx context.Context, n int) error {
	if n < 0 || n > MaxVersionsKept {
		return fmt.Errorf("client: versions kept must be 0 to %d", MaxVersionsKept)
	}
	_, err := c.editFilesDoc(ctx, settingsID, true, func(d *filesDoc, m docEdit) error {
		m.set("kind", KindSettings)
		m["versions"] = jsonInt(int64(n))
		return nil
	})
	return err
}

// DownloadProgress streams the content of file fileID to w, as Download,
// with progress, if not nil, called with the plaintext bytes written so
// far and the file's size. The name returned is the document's (the
// blob's, for the old format). As for Download, on error everything
// written to w must be discarded.
func (c *Client) DownloadProgress(ctx context.Context, fileID string, w io.Writer, progress func(done, total int64)) (*FileInfo, error) {
	doc, err := c.Get(ctx, FilesDoctype, fileID)
	if err != nil {
		return nil, err
	}
	d, err := parseFilesDoc(doc.Content)
	if err != nil || d.Kind != KindFile {
		return nil, fmt.Errorf("client: %s is not a file", fileID)
	}
	return c.downloadFile(ctx, fileID, d, w, progress)
}

// downloadFile streams the current content of file document d (id) to w.
func (c *Client) downloadFile(ctx context.Context, id string, d *filesDoc, w io.Writer, progress func(done, total int64)) (*FileInfo, error) {
	meta, err := c.downloadBlob(ctx, FilesDoctype, d.sealed(), w, progress)
	if err != nil {
		var ie *integrityError
		if errors.As(err, &ie) {
			ie.detail = "file " + id + ": " + ie.detail
		}
		return nil, err
	}
	info := &FileInfo{ID: id, Blob: d.Blob, Name: meta.Name, Type: meta.Type, Size: meta.Size, SealedSize: d.Size, ModTime: fromUnix(meta.Modified)}
	if !d.old {
		info.Name, info.Type, info.ModTime = d.Name, d.Type, fromUnix(d.MTime)
		if meta.Size != d.Length {
			return nil, integrity("file %s: its document says %d bytes, its blob %d", id, d.Length, meta.Size)
		}
	}
	return info, nil
}

// oldMetaPrefix is how much of a blob holds its metadata at the largest
// (§6.3): the header, and two STREAM chunks.
const oldMetaPrefix = blobHeaderPeek + 2*(64<<10+16)

// blobMetaOf reads the sealed metadata of blob sb from its beginning (a
// ranged GET), authenticated as §6.2 says up to the metadata's end.
func (c *Client) blobMetaOf(ctx context.Context, sb SealedBlob) (seal.Meta, error) {
	head, err := c.blobHead(ctx, sb.ID, oldMetaPrefix)
	if err != nil {
		return seal.Meta{}, err
	}
	return c.metaOfHead(ctx, sb.ID, head)
}

// blobHead reads the first n bytes of blob id of FilesDoctype (all of it
// if it is shorter), with a ranged GET.
func (c *Client) blobHead(ctx context.Context, id string, n int64) ([]byte, error) {
	res, err := c.call(ctx, request{method: "GET", path: "/v1/blobs/" + FilesDoctype + "/" + pathEscape(id),
		hdr: map[string]string{"Range": fmt.Sprintf("bytes=0-%d", n-1)}})
	if err != nil {
		return nil, err
	}
	if int64(len(res.body)) > n {
		return res.body[:n], nil
	}
	return res.body, nil
}

// metaOfHead opens the metadata of blob id from head, its first bytes
// (oldMetaPrefix of them hold it at the largest).
func (c *Client) metaOfHead(ctx context.Context, id string, head []byte) (seal.Meta, error) {
	src := bufio.NewReaderSize(bytes.NewReader(head), blobHeaderPeek)
	ks, err := c.keys(ctx, FilesDoctype, blobGen(src), false)
	if err != nil {
		return seal.Meta{}, err
	}
	if ks == nil {
		return seal.Meta{}, integrity("blob %s is sealed with a key the keyring lacks", id)
	}
	br, err := seal.OpenBlob(src, ks, seal.PurposeFile, seal.BlobRef{Doctype: FilesDoctype, ID: id})
	if err != nil {
		return seal.Meta{}, &integrityError{detail: "blob " + id + ": its header does not open", err: err}
	}
	return br.Meta(), nil
}

// upgradeOld reads the metadata of the old-format files ids (§6.3), four
// at a time, fills docs in with it, and upgrades their documents when
// this session may write (best effort: a file whose metadata cannot be
// read stays as it is, shown by id).
func (c *Client) upgradeOld(ctx context.Context, ids []string, docs map[string]*filesDoc, revs map[string]uint64) {
	var mu sync.Mutex
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, id := range ids {
		d := docs[id]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			meta, err := c.blobMetaOf(ctx, d.sealed())
			if err != nil || CheckFileName(meta.Name) != nil {
				return
			}
			nd := *d
			nd.Kind, nd.old, nd.Name, nd.Type, nd.Length, nd.MTime = KindFile, false, meta.Name, meta.Type, meta.Size, meta.Modified
			rev, err := c.editFilesDoc(ctx, id, false, func(cur *filesDoc, m docEdit) error {
				if !cur.old || cur.Blob != d.Blob {
					return errSkip
				}
				m.set("kind", KindFile)
				m.set("name", meta.Name)
				m.setContent(d.sealed(), meta.Size, meta.Modified, meta.Type)
				return nil
			})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				revs[id] = rev
			}
			if err == nil || !errors.Is(err, errSkip) {
				docs[id] = &nd // named, whether or not the upgrade was stored
			}
		}()
	}
	wg.Wait()
}

var errSkip = errors.New("client: nothing to do")
