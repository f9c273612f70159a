// Package jspromise waits for JavaScript promises from Go code compiled for
// GOOS=js (the client's fetch transport, the WebAssembly glue). It has no
// code in other builds.
package jspromise
