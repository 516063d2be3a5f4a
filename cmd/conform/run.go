package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/progress"
	"github.com/snaprepo/conform/server"
	"github.com/snaprepo/conform/suite"
	"github.com/snaprepo/conform/world"
)

const runHelp = `Usage: conform run [--endpoint URL] [--world FILE] [flags]

Runs the conformance suite against an implementation of AddSnapshotRepo and
reports per requirement (REQUIREMENTS.md). With no --endpoint it starts the
built-in reference server on 127.0.0.1 with the same world and runs against it.

Examples:
  conform run
  conform run --endpoint http://127.0.0.1:9280 --world vendor-world.yaml
  conform run --label-filter MUST --junit-report junit.xml --summary summary.md
  conform run --capabilities list,delete,auth --signature v1 --randomize-all
  conform run --html-report report.html --badge badge.svg

Exit codes:
  0  nothing failed     1  a requirement failed     2  harness or usage error

Flags:
`

// failer is the GinkgoTestingT of a run outside go test.
type failer struct{ failed bool }

func (f *failer) Fail() { f.failed = true }

func runSuite(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", runHelp, stderr)
	endpoint := fs.String("endpoint", "", "base URL of the implementation (default: start the reference server)")
	worldPath := fs.String("world", "", "world file the implementation holds (default: the built-in world)")
	caps := fs.String("capabilities", "list,delete,alternatives,describe,auth", "what the implementation has, comma-separated")
	signature := fs.String("signature", "v3", "signature scheme: v3 (ACS3-HMAC-SHA256) or v1 (ROA HMAC-SHA1)")
	timeout := fs.Duration("timeout", 10*time.Second, "timeout of each request")
	exhaustive := fs.Bool("exhaustive", false, "add one spec per ordered (destination, source) pair of the world")
	labelFilter := fs.String("label-filter", "", "run only specs matching this label filter, e.g. MUST or RULE-VERSION")
	junit := fs.String("junit-report", "", "write JUnit XML to this file")
	jsonReport := fs.String("json-report", "", "write the JSON report to this file")
	summary := fs.String("summary", "", "write a Markdown summary (one row per requirement) to this file")
	htmlReport := fs.String("html-report", "", "write a self-contained HTML report to this file")
	badge := fs.String("badge", "", "write an SVG badge (conform | MUST n/m) to this file")
	randomize := fs.Bool("randomize-all", false, "run the specs in random order")
	seed := fs.Int64("seed", 0, "random seed (with --randomize-all)")
	verbose := fs.Bool("v", false, "report every spec as it runs")
	noColor := fs.Bool("no-color", false, "no colours in the output")
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "conform run: "+format+"\n", a...)
		return exitUsage
	}
	capabilities, err := suite.ParseCapabilities(*caps)
	if err != nil {
		return usage("--capabilities: %v", err)
	}
	if *timeout <= 0 {
		return usage("--timeout %s must be positive (e.g. 10s)", *timeout)
	}
	if *signature != "v1" && *signature != "v3" {
		return usage("--signature %q is not a scheme (want v1 or v3)", *signature)
	}
	w, err := world.LoadOrBuiltin(*worldPath)
	if err != nil {
		return usage("%v", err)
	}
	if *endpoint == "" {
		url, stop, err := startReference(w)
		if err != nil {
			return usage("starting the reference server: %v", err)
		}
		defer stop()
		*endpoint = url
		fmt.Fprintf(stdout, "no --endpoint: running against the built-in reference server at %s (%s)\n", url, w.Name)
	}
	_, noColorEnv := os.LookupEnv("NO_COLOR")
	cfg := suite.Config{
		Endpoint: *endpoint, World: w, Capabilities: capabilities, Signature: apiclient.Signature(*signature),
		Timeout: *timeout, Exhaustive: *exhaustive, LabelFilter: *labelFilter, RandomizeAll: *randomize, Seed: *seed,
		Verbose: *verbose, NoColor: *noColor || noColorEnv || !useColour(stdout),
	}
	if *exhaustive {
		cfg.Progress = progress.OnTerminal(os.Stderr, "specs:").Update
	}
	t := &failer{}
	res, err := suite.Execute(t, cfg, stdout)
	if err != nil {
		return usage("%v", err)
	}
	res.WriteConsole(stdout)
	for _, out := range []struct {
		path  string
		write func(io.Writer) error
	}{{*junit, res.WriteJUnit}, {*jsonReport, res.WriteJSON}, {*summary, res.WriteSummary}, {*htmlReport, res.WriteHTML}, {*badge, res.WriteBadge}} {
		if out.path == "" {
			continue
		}
		if err := writeFile(out.path, out.write); err != nil {
			return usage("writing %s: %v", out.path, err)
		}
	}
	if res.Failed() || t.failed {
		return exitFailed
	}
	return exitOK
}

// startReference serves the reference implementation of w on a free
// loopback port.
func startReference(w *world.World) (url string, stop func(), err error) {
	srv, err := server.New(server.Options{World: w})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := server.HTTPServer(ln.Addr().String(), srv)
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), func() { hs.Close() }, nil
}

// writeFile writes through a temp file and a rename, so a reader never sees
// half a report.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(dirOf(path), ".conform-report-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[:i+1]
		}
	}
	return "."
}
