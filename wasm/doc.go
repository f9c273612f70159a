// Package wasm is the browser's side of the client: the client library
// (package client) exposed to the web pages as a promise-based API (spec/web.md
// §3). API holds what one browser session does: signing up and in and its
// memory of the account (session.go, memory.go, saved.go), the account
// (account.go), documents and the changes feed (documents.go, feed.go),
// files (files.go), apps and their grants (apps.go, connect.go), intents,
// contacts' vCards and search. methods.go is the one table of the methods
// the pages call, from which Call dispatches and the worker learns their
// names; the _js.go files are glue only (syscall/js), so everything else
// builds and is tested natively. Package web (wasm/web) holds the pages
// and scripts, which server/site serves.
package wasm
