package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/internal/terminal"
	"github.com/snaprepo/conform/report"
	"github.com/snaprepo/conform/server"
	"github.com/snaprepo/conform/suite"
	"github.com/snaprepo/conform/world"
)

var runHelp = `Usage: conform run [--endpoint URL] [--world FILE] [flags]

Runs the conformance suite against an implementation of AddSnapshotRepo and
reports per requirement (docs/requirements.md). With no --endpoint it starts
the built-in reference server on 127.0.0.1 with the same world, signing with
the world's own AccessKey, and runs against it.

Examples:
  conform run
  conform run --dry-run --world vendor-world.yaml
  conform run --endpoint http://127.0.0.1:9280 --world vendor-world.yaml
  conform run --label-filter MUST --junit-report junit.xml --summary summary.md
  conform run --capabilities list,delete,auth --signature v1 --randomize-all
  conform run --html-report report.html --badge badge.svg

Exit codes:
` + indent(report.ExitCodesText) + `
  --allow-incomplete turns 3 into 0. A capability left out of --capabilities
  is declared absent: its specs are disabled, never counted as incomplete,
  and every report names the capabilities the result holds for.

Flags:
`

// failer is the GinkgoTestingT of a run outside go test.
type failer struct{ failed bool }

func (f *failer) Fail() { f.failed = true }

// runOptions are the flags of conform run: the suite's configuration,
// starting from suite.DefaultConfig, and where the reports go.
type runOptions struct {
	cfg                                            suite.Config
	world, junit, jsonReport, summary, html, badge string
	allowIncomplete                                bool
}

// runFlags is conform run's flag set, bound into o; every default is
// suite.DefaultConfig's.
func runFlags(o *runOptions) *flag.FlagSet {
	o.cfg = suite.DefaultConfig()
	cfg := &o.cfg
	fs := newFlags("run")
	fs.StringVar(&cfg.Endpoint, "endpoint", "", "base URL of the implementation (default: start the reference server)")
	fs.StringVar(&o.world, "world", "", "world file the implementation holds (default: the built-in world)")
	fs.Func("capabilities", "what the implementation has, a comma-separated `list` (default "+capabilityList(suite.AllCapabilities())+")", func(v string) (err error) {
		cfg.Capabilities, err = suite.ParseCapabilities(v)
		return err
	})
	fs.Func("signature", "the default signing `scheme`, as an official SDK signs: "+string(cfg.Signature)+" (default), v1, darabonba-v2, node-v3, node-v2 or pop-core (docs/signing.md)", func(v string) (err error) {
		cfg.Signature, err = apiclient.ParseSignature(v)
		return err
	})
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "timeout of each request")
	fs.DurationVar(&cfg.Deadline, "deadline", cfg.Deadline, "bound on the whole run; specs left when it passes fail as not run")
	fs.BoolVar(&cfg.Exhaustive, "exhaustive", false, "compare every ordered (destination, source) pair of the world with the oracle; the reports then say how many were compared, disagreed and were left out")
	fs.IntVar(&cfg.Parallel, "parallel", cfg.Parallel, fmt.Sprintf("with --exhaustive: pairs in flight at once, at most %d (default: the number of CPUs)", suite.MaxParallel))
	fs.Lookup("parallel").DefValue = "" // the machine's, said in words: help reads the same everywhere
	fs.DurationVar(&cfg.Settle, "settle", cfg.Settle, "how long a list may take to show a write (the API reference promises no read-after-write); 0 demands read-after-write")
	fs.BoolVar(&cfg.Thorough, "thorough", false, "also the slow attacks: nonces replayed after 61 s and after 5 minutes, and four times the STATE-MODEL sequences (minutes, not seconds)")
	fs.IntVar(&cfg.Stateful, "stateful", cfg.Stateful, "random operation sequences STATE-MODEL checks against the model (replay one with --seed)")
	fs.StringVar(&cfg.LabelFilter, "label-filter", "", "run only specs matching this label filter, e.g. MUST or RULE-VERSION")
	fs.BoolVar(&cfg.RandomizeAll, "randomize-all", false, "run the specs in random order")
	fs.Int64Var(&cfg.Seed, "seed", 0, "random seed: the spec order (with --randomize-all) and STATE-MODEL's sequences")
	fs.BoolVar(&cfg.Verbose, "v", false, "report every spec as it runs")
	fs.BoolVar(&cfg.NoColor, "no-color", false, "no colours in the output")
	fs.BoolVar(&cfg.DryRun, "dry-run", false, "send nothing: list each requirement with the specs the world gives it, or what the world lacks")
	fs.StringVar(&o.junit, "junit-report", "", "write JUnit XML to this file")
	fs.StringVar(&o.jsonReport, "json-report", "", "write the JSON report to this file")
	fs.StringVar(&o.summary, "summary", "", "write a Markdown summary (one row per requirement) to this file")
	fs.StringVar(&o.html, "html-report", "", "write a self-contained HTML report to this file")
	fs.StringVar(&o.badge, "badge", "", "write an SVG badge (conform | MUST n/m) to this file")
	fs.BoolVar(&o.allowIncomplete, "allow-incomplete", false, "exit 0 instead of 3 when nothing failed but a MUST requirement was skipped or not run")
	return fs
}

// capabilityList is capabilities as --capabilities takes them.
func capabilityList(caps []suite.Capability) string {
	names := make([]string, len(caps))
	for i, c := range caps {
		names[i] = string(c)
	}
	return strings.Join(names, ",")
}

func runSuite(args []string, stdout, stderr io.Writer) int {
	var o runOptions
	if code, stop := parseFlags(runFlags(&o), runHelp, args, stdout, stderr); stop {
		return code
	}
	cfg := o.cfg
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "conform run: "+format+"\n", a...)
		return exitUsage
	}
	if err := cfg.Validate(); err != nil {
		return usage("%v", err)
	}
	w, err := loadWorld(o.world)
	if err != nil {
		return usage("%v", err)
	}
	cfg.World = w
	if o.html != "" {
		cfg.HistoryReport = strings.TrimSuffix(o.html, ".html") + "-history.html"
	}
	cfg.NoColor = cfg.NoColor || !terminal.Colour(stdout)
	if cfg.Endpoint == "" && !cfg.DryRun {
		// The built-in server holds the world's keys: sign with them, whatever
		// the environment holds for real endpoints.
		cfg.Credentials = suite.WorldCredentials(w)
		url, stop, err := startReference(w)
		if err != nil {
			return usage("starting the reference server: %v", err)
		}
		defer stop()
		cfg.Endpoint = url
		fmt.Fprintf(stdout, "no --endpoint: running against the built-in reference server at %s (%s)\n", url, terminal.Escape(w.Name))
	}
	if cfg.DryRun {
		fmt.Fprintf(stdout, "dry run: no request is sent; what %s gives each requirement\n", terminal.Escape(w.Name))
	}
	if cfg.Thorough && !cfg.DryRun {
		fmt.Fprintln(stdout, "--thorough: the slow attacks wait 61 s and 5 minutes for a nonce's replay; the run takes minutes (a progress line on a terminal)")
	}
	if cfg.Exhaustive || cfg.Thorough {
		cfg.Progress = terminal.MeterOnTerminal(os.Stderr, "specs:").Update
	}
	t := &failer{}
	res, err := suite.Execute(t, cfg, stdout)
	if err != nil {
		return usage("%v", err)
	}
	if cfg.DryRun {
		res.WritePlan(stdout)
	} else {
		res.WriteConsole(stdout)
	}
	for _, out := range []struct {
		path  string
		write func(io.Writer) error
	}{{o.junit, res.WriteJUnit}, {o.jsonReport, res.WriteJSON}, {o.summary, res.WriteSummary}, {o.html, res.WriteHTML}, {o.badge, res.WriteBadge}} {
		if out.path == "" {
			continue
		}
		if err := writeFile(out.path, out.write); err != nil {
			return usage("writing %s: %v", out.path, err)
		}
	}
	code := res.Outcome().ExitCode()
	if t.failed && code == report.ExitComplete {
		code = report.ExitFailed // Ginkgo failed outside any spec
	}
	if code == report.ExitIncomplete && o.allowIncomplete {
		code = exitOK
	}
	return code
}

func indent(text string) string { return "  " + strings.ReplaceAll(text, "\n", "\n  ") }

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
	tmp, err := os.CreateTemp(filepath.Dir(path), ".conform-report-*")
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
