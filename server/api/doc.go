// Package api is the Hearth server's HTTP interface (spec/protocol.md §8):
// the routes, registered in one place, handlers that return errors, and the
// one table (errors.go) from error codes to HTTP statuses. It is the only
// package that imports the router.
package api
