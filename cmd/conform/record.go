package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/internal/terminal"
	"github.com/snaprepo/conform/live"
	"github.com/snaprepo/conform/recording"
	"github.com/snaprepo/conform/server"
)

const recordHelp = `Usage: conform record --upstream URL --cassette FILE [--addr HOST:PORT]

A recording proxy: every request sent to it is relayed to --upstream (the
platform's regional endpoint, or any implementation), and each exchange is
written to FILE in go-vcr's cassette format (version 2) as it happens.
Secrets are masked before anything is written: signatures, security tokens,
and AccessKey IDs (each replaced by a stable key-xxxxxxxx name, so the
cassette still shows which requests one key signed). Then hold conform's
decisions against it with conform verify-oracle.

ACS3-HMAC-SHA256 (the current SDKs, conform check --live, conform run's
default) signs the host a request is sent to, which a proxy changes. Give
conform record the credentials the client signs with — ALIBABA_CLOUD_ACCESS_KEY_ID
and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or --profile NAME, as check --live reads
them — and it re-signs those requests for the upstream's host (same headers,
date and nonce). ROA 1.0 signs no host and passes unchanged. The proxy
listens on loopback: anyone who can reach it acts with those credentials.

Examples:
  conform record --upstream https://elasticsearch.cn-hangzhou.aliyuncs.com --cassette session.yaml
  conform check --live --endpoint http://127.0.0.1:9281 --dest es-cn-… --source es-cn-… --apply
  conform verify-oracle --cassette session.yaml --world my-fleet.yaml

Exit codes:
  0  stopped (SIGINT or SIGTERM), every exchange written
  2  usage error, or the cassette cannot be written

Flags:
`

// recordOptions are the flags of conform record.
type recordOptions struct {
	upstream, cassette, addr, profile string
	timeout                           time.Duration
}

// recordFlags is conform record's flag set, bound into o.
func recordFlags(o *recordOptions) *flag.FlagSet {
	fs := newFlags("record")
	fs.StringVar(&o.upstream, "upstream", "", "the endpoint to relay to, e.g. https://elasticsearch.cn-hangzhou.aliyuncs.com")
	fs.StringVar(&o.cassette, "cassette", "", "the cassette file to write (replaced if it exists)")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:9281", "address to listen on; port 0 picks a free one")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "how long the upstream may take to answer one request")
	fs.StringVar(&o.profile, "profile", "", "credentials profile to re-sign ACS3 requests with (default: the environment, then the aliyun CLI's current profile)")
	return fs
}

func runRecord(args []string, stdout, stderr io.Writer) int {
	var o recordOptions
	if code, stop := parseFlags(recordFlags(&o), recordHelp, args, stdout, stderr); stop {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "conform record: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case o.upstream == "":
		return usage("no --upstream: name the endpoint to relay to, e.g. --upstream https://elasticsearch.cn-hangzhou.aliyuncs.com")
	case o.cassette == "":
		return usage("no --cassette: name the file to record to, e.g. --cassette session.yaml")
	case o.timeout <= 0:
		return usage("--timeout %s must be positive, e.g. 30s", o.timeout)
	}
	p, err := recording.NewProxy(o.upstream, o.cassette, o.timeout)
	if err != nil {
		return usage("%s", terminal.Escape(err.Error()))
	}
	p.Warn = func(msg string) { fmt.Fprintf(stderr, "conform record: %s\n", terminal.Escape(msg)) }
	if creds, from, err := live.LoadCredentials(o.profile); err == nil {
		p.Resign(creds)
		fmt.Fprintf(stderr, "conform record: re-signing ACS3 requests of AccessKey %s for the upstream (credentials from %s)\n", acs.MaskKeyID(creds.AccessKeyID), from)
	} else if o.profile != "" {
		return usage("%s", terminal.Escape(err.Error()))
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return usage("cannot listen on %s: %v (pick another --addr, or port 0 for a free one)", o.addr, err)
	}
	hs := server.HTTPServer(ln.Addr().String(), p)
	hs.WriteTimeout = o.timeout + 30*time.Second
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	fmt.Fprintf(stderr, "conform record: relaying to %s, recording to %s\n", terminal.Escape(o.upstream), terminal.Escape(o.cassette))
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return usage("%v", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hs.Shutdown(shutdownCtx)
	if err := p.Shutdown(shutdownCtx); err != nil {
		return usage("%v", err)
	}
	fmt.Fprintf(stderr, "conform record: %d exchanges written to %s\n", p.Recorded(), terminal.Escape(o.cassette))
	return exitOK
}

const verifyOracleHelp = `Usage: conform verify-oracle --cassette FILE [--world FILE] [--account ID] [-o text|json]

Holds conform against a recorded session: every exchange of the cassette
(from conform record, or any go-vcr v4 cassette) is replayed, in order,
against the reference server holding --world, and conform's answer is set
beside the recorded one. For AddSnapshotRepo it names the rule that decides
conform's answer.

A decision differs when one side accepted and the other refused (a 4xx
envelope or 200 with Result false), or when a code the API reference
documents differs: each is listed, and the exit code is 1. Differences in
undocumented codes, messages and list contents are listed as information.
Exchanges that are no decision of the API — a signature or key refused,
throttling, a 5xx, a path no operation has — are counted as skipped.

The world must hold the instances the session touched, as they were when it
began (with their repositories); the caller is --account (default: the
world's first account).

Examples:
  conform verify-oracle --cassette session.yaml --world my-fleet.yaml
  conform verify-oracle --cassette session.yaml -o json

Exit codes:
  0  every decision agrees   1  a decision differs   2  bad input or usage

Flags:
`

// verifyOptions are the flags of conform verify-oracle.
type verifyOptions struct{ cassette, world, account, output string }

// verifyOracleFlags is conform verify-oracle's flag set, bound into o.
func verifyOracleFlags(o *verifyOptions) *flag.FlagSet {
	fs := newFlags("verify-oracle")
	fs.StringVar(&o.cassette, "cassette", "", "the cassette to verify against")
	fs.StringVar(&o.world, "world", "", "the world the session ran in (default: the built-in world)")
	fs.StringVar(&o.account, "account", "", "the caller's account (default: the world's first)")
	bindOutput(fs, &o.output)
	return fs
}

func runVerifyOracle(args []string, stdout, stderr io.Writer) int {
	var o verifyOptions
	if code, stop := parseFlags(verifyOracleFlags(&o), verifyOracleHelp, args, stdout, stderr); stop {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "conform verify-oracle: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case o.cassette == "":
		return usage("no --cassette: name the file conform record wrote, e.g. --cassette session.yaml")
	}
	c, err := recording.Load(o.cassette)
	if err != nil {
		return usage("%s", terminal.Escape(err.Error()))
	}
	w, err := loadWorld(o.world)
	if err != nil {
		return usage("%s", terminal.Escape(err.Error()))
	}
	res, err := recording.Verify(c, w, o.account)
	if err != nil {
		return usage("%s", terminal.Escape(err.Error()))
	}
	code := exitOK
	if res.Disagrees() {
		code = exitFailed
	}
	if o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return usage("%v", err)
		}
		return code
	}
	var b strings.Builder
	for _, f := range res.Findings {
		kind := "information"
		if f.Decision {
			kind = "DECISION DIFFERS"
		}
		pair := terminal.Line(f.Destination)
		if f.Source != "" {
			pair += " ← " + terminal.Line(f.Source)
		}
		fmt.Fprintf(&b, "#%d %s %s: %s — recorded %s, conform %s", f.Exchange, terminal.Line(f.Operation), pair, kind, terminal.Line(f.Recorded), terminal.Line(f.Conform))
		if f.Rule != "" {
			fmt.Fprintf(&b, " (%s", f.Rule)
			if f.Why != "" {
				fmt.Fprintf(&b, ": %s", terminal.Line(f.Why))
			}
			b.WriteString(")")
		}
		if f.Note != "" {
			fmt.Fprintf(&b, "; %s", terminal.Line(f.Note))
		}
		b.WriteString("\n")
	}
	disagree := 0
	for _, f := range res.Findings {
		if f.Decision {
			disagree++
		}
	}
	fmt.Fprintf(&b, "%d exchanges: %d compared, %d decisions agree, %d differ; %d skipped as no decision of the API\n",
		res.Exchanges, res.Compared, res.Compared-disagree, disagree, len(res.Skipped))
	io.WriteString(stdout, b.String())
	return code
}
