// Package linkpage is the WebAssembly glue of the link pages (spec/web.md
// §7): it opens a share link (client.OpenLink), streams its files or a zip
// of them, verified, to a sink the page's worker gives, and drops files
// through a drop link (client.Drop). The fragment key and the password
// stay in this module; only the access proof goes out.
package linkpage
