// Command hearthd is the Hearth server: one process serving the HTTP API
// over a data folder (SQLite metadata and sealed blob files). It stores only
// ciphertext; see spec/protocol.md.
//
//	hearthd [--data DIR] [--listen ADDR] [--domain localhost] [--scheme https] [--signup open|invite|closed]
//	        [--quota SIZE] [--quota-docs N] [--max-blob-size BYTES] [--trusted-proxy CIDR]...
//	hearthd quota [--data DIR] USER [SIZE|default|unlimited] [--docs N|default|unlimited]
//	hearthd invite [--data DIR] [--expires 168h]
//
// The quota and invite commands work on the data folder, also while a
// server runs on it (admin.go).
//
// The web client is served from the same address: Home at home.<domain>,
// each user's apps at <app>.<user>.<domain>, the API at both and at the
// domain itself, which sends browsers on to Home (spec/web.md §1).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hearthcloud/hearth/internal/bytesize"
	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/meta"
	"github.com/hearthcloud/hearth/server/site"

	// The web client, registered with the site (site.Register).
	_ "github.com/hearthcloud/hearth/wasm/web"
)

func main() {
	if len(os.Args) > 1 {
		if cmd := adminCommands[os.Args[1]]; cmd != nil {
			os.Exit(cmd(os.Args[2:]))
		}
	}
	data := flag.String("data", "./hearth-data", "data folder (created if missing)")
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve on")
	signup := signupOpen
	flag.Var(&signup, "signup", "who may sign up: open (anyone who reaches the server), invite (with a code from 'hearthd invite') or closed; true and false are open and closed")
	quota := flag.String("quota", "unlimited", "bytes each account may store unless 'hearthd quota' gave it its own limit, such as 10GiB or 500MB")
	quotaDocs := flag.String("quota-docs", "unlimited", "documents each account may keep unless 'hearthd quota' gave it its own limit")
	maxBlob := flag.Int64("max-blob-size", 4<<30, "largest blob in bytes")
	domain := flag.String("domain", "localhost", "base domain of the web client: Home at home.DOMAIN, apps at APP.USER.DOMAIN, the API also at DOMAIN")
	logLevel := flag.String("log", "info", `what to log: "info" (a line per request, no user names), "warn" (problems only) or "debug"`)
	scheme := flag.String("scheme", "", `scheme browsers use to reach the server ("https" behind a TLS-terminating proxy; default: that of each request)`)
	var proxies []netip.Prefix
	flag.Func("trusted-proxy", "a reverse proxy's address or CIDR range (repeatable, or comma-separated): from it, rate limits use the client address it forwards (X-Forwarded-For or Forwarded)",
		func(v string) error {
			p, err := parseProxies(v)
			proxies = append(proxies, p...)
			return err
		})
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: hearthd [flags]\n       hearthd invite [--data DIR] [--expires 168h]   a one-time sign-up code (with --signup invite)\n"+
			"       hearthd quota [--data DIR] USER [SIZE] [--docs N]   an account's usage, or its own limits\n\n"+
			"Hearth server: stores only ciphertext. 'hearthd invite --help' and 'hearthd quota --help' say more.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *scheme != "" && *scheme != "http" && *scheme != "https" {
		fmt.Fprintln(os.Stderr, "hearthd: --scheme is http or https")
		os.Exit(2)
	}
	if *domain == "" || strings.ContainsAny(*domain, ":/[] ") {
		fmt.Fprintln(os.Stderr, "hearthd: --domain is a host name such as localhost or hearth.example")
		os.Exit(2)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil || *logLevel == "" {
		fmt.Fprintf(os.Stderr, "hearthd: --log %q: give info, warn or debug\n", *logLevel)
		os.Exit(2)
	}
	limits, err := parseLimits(*quota, *quotaDocs, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hearthd:", err)
		os.Exit(2)
	}
	wc := site.Config{Domain: strings.ToLower(*domain), Scheme: *scheme}
	if err := run(*data, *listen, signup, limits, *maxBlob, wc, proxies, level); err != nil {
		fmt.Fprintln(os.Stderr, "hearthd:", err)
		os.Exit(1)
	}
}

func run(data, listen string, signup signupMode, limits meta.Limits, maxBlob int64, wc site.Config, proxies []netip.Prefix, level slog.Level) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	srv, err := server.Open(ctx, server.Config{Dir: data, MaxBlobSize: maxBlob, SignupOff: signup == signupClosed,
		SignupInv: signup == signupInvite, Quota: limits, Log: log, Web: wc, TrustedProxies: proxies})
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
	fmt.Println(policyLine(signup, limits))
	fmt.Println(openLine(ln.Addr().(*net.TCPAddr), wc.Domain))
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

// policyLine says who may sign up and what each account may store, so an
// operator sees that --signup and --quota took effect.
func policyLine(signup signupMode, l meta.Limits) string {
	who := map[signupMode]string{signupOpen: "open to anyone who reaches the server", signupInvite: "by invitation ('hearthd invite')",
		signupClosed: "closed"}[signup]
	stored, docs := "any amount stored", "any number of documents"
	if l.Bytes > 0 {
		stored = "up to " + bytesize.Format(l.Bytes) + " stored"
	}
	if l.Docs > 0 {
		docs = fmt.Sprintf("up to %d documents", l.Docs)
	}
	return fmt.Sprintf("Sign-up: %s. Each account: %s, %s, unless 'hearthd quota' set its own.", who, stored, docs)
}

// openLine says where to point a browser: http://home.DOMAIN:PORT/ when
// serving on loopback (or on every address), where this machine's browser
// reaches Home (spec/web.md §1), and where to point the command line
// client: the base domain, which a program resolves when it is localhost.
func openLine(addr *net.TCPAddr, domain string) string {
	if addr.IP.IsLoopback() || addr.IP.IsUnspecified() {
		return fmt.Sprintf("Open http://%s.%s:%d/ in a browser (apps at http://APP.USER.%s:%d; the command line client: --server http://%s:%d)",
			site.HomeLabel, domain, addr.Port, domain, addr.Port, domain, addr.Port)
	}
	return fmt.Sprintf("Home is at %s.%s:%d, apps at APP.USER.%s:%d, the API also at %s:%d",
		site.HomeLabel, domain, addr.Port, domain, addr.Port, domain, addr.Port)
}

// parseProxies reads a --trusted-proxy value: addresses or CIDR ranges,
// comma-separated.
func parseProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, err2 := netip.ParseAddr(f)
			if err2 != nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR range", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() { // peers are compared unmapped
			if p.Bits() < 96 {
				return nil, fmt.Errorf("%q: give IPv4 ranges as IPv4", f)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
