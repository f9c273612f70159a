package site

import (
	"embed"
	"io/fs"
	"sync"
)

// The web client's files, as Register received them.
var client struct {
	mu           sync.Mutex
	static, dist fs.FS
}

// Register makes static (the sources: pages, scripts, styles, images, the
// bundled apps' folders) and dist (the build output of make web) the web
// client that every Site of the process serves, unless its Config names
// files of its own. The package that holds the web client (wasm/web) calls
// it from its init function, so that a binary serves the client by
// importing that package; Register panics when called a second time.
func Register(static, dist fs.FS) {
	client.mu.Lock()
	defer client.mu.Unlock()
	if client.static != nil {
		panic("site: Register called twice")
	}
	if static == nil {
		panic("site: Register of a nil static/")
	}
	client.static, client.dist = static, dist
}

// registered returns the registered files (empty file systems for what
// was not) and whether any were.
func registered() (static, dist fs.FS, ok bool) {
	client.mu.Lock()
	defer client.mu.Unlock()
	static, dist = client.static, client.dist
	ok = static != nil
	if static == nil {
		static = embed.FS{}
	}
	if dist == nil {
		dist = embed.FS{}
	}
	return static, dist, ok
}

// initCompress bounds what New compresses itself when dist/ holds no copy
// (a build that skipped make web): small files only.
const initCompress = 1 << 20

// brotliCopies stands for the brotli copies make web writes; the server reads
// them from dist/ and never compresses with brotli itself.
var brotliCopies = Encoder{Name: "br", Ext: ".br", Compress: func([]byte) ([]byte, error) { return nil, nil }}

// serveOptions build what New serves.
var serveOptions = BuildOptions{Encoders: []Encoder{brotliCopies, Gzip}, MaxCompress: initCompress}

// registeredBundle builds the registered site, once.
var registeredBundle = sync.OnceValues(func() (*Bundle, error) {
	st, di, _ := registered()
	return Build(st, di, serveOptions)
})
