package search

import (
	"encoding/json"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/appmanifest"
)

// Searched reports whether a search of all a person's data covers
// doctype: not Hearth's own records (which apps connected, grantee
// records, and the passkeys' records, which hold their secrets: Open
// refuses those). The files' documents are searched on their names only
// (Indexed).
func Searched(doctype string) bool {
	return !appmanifest.Internal(doctype)
}

// Indexed returns what the index sees of a document of doctype (§7.3):
// its content, but for client.FilesDoctype the object {"name": …} of a
// file or folder, and nil (not indexed) for the other kinds and the old
// format, which hold ids, digests and settings, no text to look for.
// Snippets and phrase checks read the same.
func Indexed(doctype string, content []byte) []byte {
	if doctype != client.FilesDoctype {
		return content
	}
	var d struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	}
	if json.Unmarshal(content, &d) != nil || d.Kind != client.KindFile && d.Kind != client.KindFolder || d.Name == "" {
		return nil
	}
	b, _ := json.Marshal(map[string]string{"name": d.Name})
	return b
}
