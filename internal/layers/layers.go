// Package layers holds the test that keeps Hearth's packages in their
// layers (README, "Layout"): crypto/ and the shared formats in internal/ at
// the bottom; the client library (client/) and the server (server/) above
// them, never importing each other; the browser client (wasm/) above the
// client library; the programs (cmd/) and the test harnesses on top. The
// server's site (server/site) serves the web client's files, which
// wasm/web registers with it: wasm/web imports server/site, never the
// other way. It has no code outside its test.
package layers
