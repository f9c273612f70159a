package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/hearthcloud/hearth/client"
)

// fileCache is the search.Cache of the CLI: the sealed index segments this
// device downloaded, in the state folder (index/<account>/<doctype>/<segment
// id>, mode 0600), so that a search does not download the whole index
// again. Keys are "<doctype>/<segment id>", both checked names (a doctype,
// and an identifier from a verified manifest).
type fileCache struct{ dir string }

func newFileCache(c *client.Client) (*fileCache, error) {
	h, err := home()
	if err != nil {
		return nil, err
	}
	st := c.State()
	return &fileCache{dir: filepath.Join(h, "index", accountKey(st.Server, st.User))}, nil
}

func (fc *fileCache) path(key string) string { return filepath.Join(fc.dir, filepath.FromSlash(key)) }

func (fc *fileCache) Get(key string) []byte {
	b, _ := os.ReadFile(fc.path(key))
	return b
}

func (fc *fileCache) Put(key string, b []byte) {
	writeFile(fc.path(key), b) // best effort: a cache
}

func (fc *fileCache) Prune(prefix string, keep []string) {
	kept := map[string]bool{}
	for _, k := range keep {
		kept[k] = true
	}
	dir := fc.path(strings.TrimSuffix(prefix, "/"))
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !kept[e.Name()] {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
