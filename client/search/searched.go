package search

import (
	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/appmanifest"
)

// Searched reports whether a search of all a person's data covers
// doctype: not Hearth's own records (which apps connected, grantee
// records, and the passkeys' records, which hold their secrets: Open
// refuses those), nor the documents naming uploaded files, which hold no
// text.
func Searched(doctype string) bool {
	return !appmanifest.Internal(doctype) && doctype != client.FilesDoctype
}
