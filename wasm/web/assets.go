package web

import (
	"embed"
	"io/fs"

	"github.com/hearthcloud/hearth/server/site"
)

//go:embed static
var static embed.FS

//go:embed dist
var dist embed.FS

// init registers static/ and dist/ as the web client the server's site
// serves (site.Register).
func init() {
	st, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	di, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err)
	}
	site.Register(st, di)
}
