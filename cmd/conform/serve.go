package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/internal/terminal"
	"github.com/snaprepo/conform/server"
)

const serveHelp = `Usage: conform serve [--addr HOST:PORT] [--world FILE] [--region R] [--data-dir DIR] [--auth=on|off] [--nonce-capacity N] [--log-level LEVEL]

Runs the reference implementation of AddSnapshotRepo and its companion APIs
(ListSnapshotReposByInstanceId, DeleteSnapshotRepo, ListAlternativeSnapshotRepos,
DescribeInstance, ListInstance, DescribeRegions), checking both signature schemes
the official SDKs use. Prints "listening on http://HOST:PORT" on stdout when ready;
one log line per request on stderr. Stops cleanly on SIGINT or SIGTERM.

Replays are refused: a nonce is remembered, per AccessKey, for as long as its
request's date stays within the 15-minute window. When --nonce-capacity nonces
of one AccessKey are remembered and all still valid, that key's new signed
requests get 400 Throttling.User instead of a nonce being forgotten early;
other keys are not affected.

Examples:
  conform serve
  conform serve --addr 127.0.0.1:0 --data-dir /var/lib/conform
  conform serve --world vendor-world.yaml --region cn-beijing --auth=off

Exit codes:
  0  stopped on SIGINT or SIGTERM
  2  usage error, a world or data dir that cannot be used, an address that cannot be listened on

Flags:
`

// serveOptions are the flags of conform serve.
type serveOptions struct {
	addr, world, dataDir, auth, region, logLevel, controlToken string
	nonceCapacity                                              int
	listFaults                                                 bool
	faults                                                     []string
}

// serveFlags is conform serve's flag set, bound into o.
func serveFlags(o *serveOptions) *flag.FlagSet {
	fs := newFlags("serve")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:9280", "address to listen on; port 0 picks a free one")
	fs.StringVar(&o.world, "world", "", "world file, YAML or JSON (default: the built-in world)")
	fs.StringVar(&o.dataDir, "data-dir", "", "keep repositories across restarts in this directory (default: in memory)")
	fs.StringVar(&o.auth, "auth", "on", "check request signatures: on or off")
	fs.StringVar(&o.region, "region", "", "region this endpoint serves (default: the world's region)")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.IntVar(&o.nonceCapacity, "nonce-capacity", acs.DefaultNonceCapacity, "nonces remembered against replays, per AccessKey; when a key's are all valid, its new signed requests get 400 Throttling.User")
	fs.StringVar(&o.controlToken, "control-token", "", "turn on the control API under /_conform/ (docs/testing.md), every call with Authorization: Bearer TOKEN (default $CONFORM_CONTROL_TOKEN; empty: off)")
	fs.BoolVar(&o.listFaults, "faults", false, "list the planted faults (name, what each breaks, the requirement that catches it) and exit")
	fs.Func("fault", "serve with the planted fault of this `name` (repeatable; --faults lists them): a server that misbehaves as implementations do", func(v string) error {
		o.faults = append(o.faults, v)
		return nil
	})
	return fs
}

// validate says what to change when the flags do not go together, and
// the log level they name.
func (o *serveOptions) validate() (slog.Level, error) {
	var level slog.Level
	switch {
	case o.auth != "on" && o.auth != "off":
		return level, fmt.Errorf("--auth %q is not a setting (want on or off)", terminal.Escape(o.auth))
	case o.nonceCapacity <= 0:
		return level, fmt.Errorf("--nonce-capacity %d must be positive (e.g. %d)", o.nonceCapacity, acs.DefaultNonceCapacity)
	}
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return level, fmt.Errorf("--log-level %q is not a level (want debug, info, warn or error)", terminal.Escape(o.logLevel))
	}
	return level, nil
}

func runServe(args []string, stdout, stderr io.Writer) int {
	var o serveOptions
	if code, stop := parseFlags(serveFlags(&o), serveHelp, args, stdout, stderr); stop {
		return code
	}
	if o.controlToken == "" {
		o.controlToken = os.Getenv("CONFORM_CONTROL_TOKEN")
	}
	if o.listFaults {
		faults := server.PlantedFaults()
		width := 0
		for _, f := range faults {
			width = max(width, len(f.Name))
		}
		for _, f := range faults {
			fmt.Fprintf(stdout, "%-*s  %s (caught by %s)\n", width, f.Name, f.Breaks, f.CaughtBy)
		}
		return exitOK
	}
	level, err := o.validate()
	if err != nil {
		fmt.Fprintf(stderr, "conform serve: %v\n", err)
		return exitUsage
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	w, err := loadWorld(o.world)
	if err != nil {
		fmt.Fprintf(stderr, "conform serve: %v\n", err)
		return exitUsage
	}
	srv, err := server.New(server.Options{World: w, Region: o.region, NoAuth: o.auth == "off", DataDir: o.dataDir, Logger: logger, NonceCapacity: o.nonceCapacity, Faults: o.faults, ControlToken: o.controlToken})
	if err != nil {
		fmt.Fprintf(stderr, "conform serve: %v\n", err)
		return exitUsage
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		fmt.Fprintf(stderr, "conform serve: cannot listen on %s: %v (pick another --addr, or port 0 for a free one)\n", o.addr, err)
		return exitUsage
	}
	if o.controlToken != "" {
		logger.Info("control API on", "path", server.ControlPrefix, "docs", "docs/testing.md")
	}
	if len(o.faults) > 0 {
		logger.Warn("serving with planted faults: this server misbehaves on purpose", "faults", strings.Join(o.faults, ","))
	}
	if o.auth == "off" {
		logger.Warn("signature checking is off (--auth=off): every request is served, as the account its AccessKeyId names or the world's first")
	}
	logger.Info("serving", "world", w.Name, "region", w.Region, "instances", len(w.Instances), "dataDir", o.dataDir)
	hs := server.HTTPServer(ln.Addr().String(), srv)
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintf(stderr, "conform serve: %v\n", err)
		return exitUsage
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(stderr, "conform serve: shutdown: %v\n", err)
		return exitUsage
	}
	if err := srv.Close(); err != nil {
		fmt.Fprintf(stderr, "conform serve: closing the data dir: %v\n", err)
		return exitUsage
	}
	return exitOK
}
