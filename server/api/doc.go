// Package api is the Hearth server's HTTP interface (spec/protocol.md §8):
// one route table (routes.go) that also says who may use each route, as
// §8.1.5's table does, handlers that return errors, the request and
// response helpers they share (http.go), and the Error they return
// (errors.go), which maps storage errors to the protocol's codes; the
// codes and their HTTP statuses are internal/wire's (§9). It is the only
// package that imports the router.
package api
