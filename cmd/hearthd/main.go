// Command hearthd is the Hearth server: one process serving the HTTP API
// over a data folder (SQLite metadata and sealed blob files). It stores only
// ciphertext; see spec/protocol.md.
//
//	hearthd [--data DIR] [--listen ADDR] [--signup=false]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hearthcloud/hearth/server"
)

func main() {
	data := flag.String("data", "./hearth-data", "data folder (created if missing)")
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve on")
	signup := flag.Bool("signup", true, "allow anyone who reaches the server to sign up")
	maxBlob := flag.Int64("max-blob-size", 4<<30, "largest blob in bytes")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: hearthd [flags]\n\nHearth server: stores only ciphertext.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*data, *listen, *signup, *maxBlob); err != nil {
		fmt.Fprintln(os.Stderr, "hearthd:", err)
		os.Exit(1)
	}
}

func run(data, listen string, signup bool, maxBlob int64) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := server.Open(ctx, server.Config{Dir: data, MaxBlobSize: maxBlob, SignupOff: !signup, Log: log})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	hs := server.HTTPServer(srv.Handler(), log)
	hs.RegisterOnShutdown(srv.API.Close)
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		fmt.Fprintln(os.Stderr, "hearthd: serving plain HTTP on a non-loopback address; put a TLS-terminating proxy in front (the protocol requires HTTPS beyond loopback)")
	}
	fmt.Printf("Hearth is serving on http://%s (data in %s)\n", ln.Addr(), data)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Println("hearthd: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
