package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/internal/suggest"
	"github.com/snaprepo/conform/internal/terminal"
	"github.com/snaprepo/conform/report"
	"github.com/snaprepo/conform/world"
)

const checkHelp = `Usage: conform check [--world FILE] --dest ID --source ID [-o text|json]
       conform check [--world FILE] --matrix [-o text|json]
       conform check --live --region R --dest ID --source ID [--apply] [-o text|json]
       conform check --live --region R --dest ID --alternatives [-o text|json]

Says whether the destination instance can reference the source instance's OSS
snapshot repository (AddSnapshotRepo), rule by rule, before anyone calls the API.
Instances come from a world file (docs/world.md); the default is the built-in world.

Examples:
  conform check --dest es-cn-cf710dest0000001 --source es-cn-cf79src00000001
  conform check --world fleet.yaml --dest es-cn-a --source es-cn-b -o json
  conform check --world fleet.json --matrix -o json > matrix.jsonl
  conform check --world fleet.yaml --matrix --html fleet.html
  conform check --live --region cn-hangzhou --dest es-cn-a --source es-cn-b
  conform check --live --profile prod --region cn-hangzhou --dest es-cn-a --source es-cn-b --apply
  conform check --live --region cn-hangzhou --dest es-cn-a --alternatives

With --live, credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET (and
_SECURITY_TOKEN), else the aliyun CLI profile, else the credentials file
~/.alibabacloud/credentials; --profile NAME picks a profile of either file and
wins over the environment. No secret is ever printed.

Exit codes:
  0  compatible          1  not compatible      2  bad input or usage
  3  undecided: a fact a rule needs is missing (e.g. a 6.7.0 kernel)
  4  --live: the lookup failed (network, credentials, throttling, an answer
     conform does not understand) — no verdict
  With --alternatives: 0 when conform and the platform agree, 1 when not.

Flags:
`

// checkJSON is the -o json form of one verdict. Its field names are read by
// other tools: never rename one.
type checkJSON struct {
	Compatible  bool          `json:"compatible"`
	Decision    string        `json:"decision"`
	Destination string        `json:"destination"`
	Source      string        `json:"source"`
	APIError    *apiErrorJSON `json:"apiError"`
	Rules       []ruleJSON    `json:"rules"`
	Warnings    []string      `json:"warnings"`
}

type apiErrorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Documented is true when the API reference documents the code; else
	// the code is conform's name, or the platform's from elsewhere (source).
	Documented bool   `json:"documented"`
	Source     string `json:"source"`
}

type ruleJSON struct {
	ID      string `json:"id"`
	Verdict string `json:"verdict"`
	Message string `json:"message"`
}

// checkOptions are the flags of conform check.
type checkOptions struct {
	world, dest, source, output, html string
	matrix, live                      bool
	lo                                liveOptions
	// liveFlags are the flags given that mean something only with --live.
	liveFlags []string
}

// liveOnly are the flags of conform check that only --live reads: given
// without it, they would be silently ignored.
var liveOnly = map[string]bool{"region": true, "regions": true, "endpoint": true, "region-endpoint": true, "profile": true, "timeout": true, "alternatives": true, "apply": true}

func runCheck(args []string, stdout, stderr io.Writer) int {
	o, code, stop := parseCheck(args, stdout, stderr)
	if stop {
		return code
	}
	if err := o.validate(); err != nil {
		fmt.Fprintf(stderr, "conform check: %v\n", err)
		return exitUsage
	}
	if o.live {
		return runLiveCheck(o.lo, stdout, stderr)
	}
	return offlineCheck(o, stdout, stderr)
}

// checkFlags is conform check's flag set, bound into o.
func checkFlags(o *checkOptions) *flag.FlagSet {
	fs := newFlags("check")
	fs.StringVar(&o.world, "world", "", "world file, YAML or JSON (default: the built-in world)")
	fs.StringVar(&o.dest, "dest", "", "destination instance ID: the one that gets the shared repository")
	fs.StringVar(&o.source, "source", "", "source instance ID: the repoPath whose repository is referenced")
	bindOutput(fs, &o.output)
	fs.BoolVar(&o.matrix, "matrix", false, "for every destination of the world, list the sources that may reference it")
	fs.StringVar(&o.html, "html", "", "with --matrix: also write the fleet as a self-contained HTML picture to this file")
	fs.BoolVar(&o.live, "live", false, "read both instances from the platform through the official SDK instead of a world")
	lo := &o.lo
	fs.StringVar(&lo.region, "region", "", "with --live: the region of the destination, e.g. cn-hangzhou")
	fs.StringVar(&lo.regions, "regions", "", "with --live: regions to search for a source not in --region (default: every region DescribeRegions lists)")
	bindPlatformFlags(fs, lo, "with --live: ")
	fs.BoolVar(&lo.alternatives, "alternatives", false, "with --live: every instance of the region the destination may reference, beside ListAlternativeSnapshotRepos")
	fs.BoolVar(&lo.apply, "apply", false, "with --live: when compatible, call AddSnapshotRepo and confirm it")
	return fs
}

// parseCheck binds the flags into checkOptions.
func parseCheck(args []string, stdout, stderr io.Writer) (o checkOptions, code int, stop bool) {
	fs := checkFlags(&o)
	code, stop = parseFlags(fs, checkHelp, args, stdout, stderr)
	fs.Visit(func(f *flag.Flag) {
		if liveOnly[f.Name] {
			o.liveFlags = append(o.liveFlags, "--"+f.Name)
		}
	})
	lo := &o.lo
	lo.dest, lo.source, lo.json = o.dest, o.source, o.output == "json"
	return o, code, stop
}

// validate is nil when the flags go together, else the sentence that says
// what to change.
func (o checkOptions) validate() error {
	why := o.conflict()
	if why == "" {
		return nil
	}
	return errors.New(why)
}

// conflict is "" when the flags go together, else what to change.
func (o checkOptions) conflict() string {
	lo := o.lo
	switch {
	case o.live && (o.world != "" || o.matrix):
		return "--live reads the platform: it takes neither --world nor --matrix"
	case o.live && (lo.region == "" || lo.dest == ""):
		return "--live needs --region REGION and --dest ID (see conform check --help)"
	case o.live && lo.source == "" && !lo.alternatives:
		return "--live needs --source ID, or --alternatives to list every source"
	case o.live && lo.apply && (lo.source == "" || lo.alternatives):
		return "--apply needs one --source, without --alternatives"
	case o.live && lo.timeout <= 0:
		return fmt.Sprintf("--timeout %s must be positive (e.g. 10s)", lo.timeout)
	case o.live:
		return ""
	case len(o.liveFlags) > 0:
		if len(o.liveFlags) == 1 {
			return o.liveFlags[0] + " only means something with --live: add --live, or leave it out"
		}
		return strings.Join(o.liveFlags, ", ") + " only mean something with --live: add --live, or leave them out"
	case !o.matrix && (o.dest == "" || o.source == ""):
		return "give both --dest ID and --source ID, or --matrix (see conform check --help)"
	case o.html != "" && !o.matrix:
		return "--html goes with --matrix"
	}
	return ""
}

// offlineCheck answers from a world: one pair, or the whole matrix.
func offlineCheck(o checkOptions, stdout, stderr io.Writer) int {
	w, err := loadWorld(o.world)
	if err != nil {
		fmt.Fprintf(stderr, "conform check: %v\n", err)
		return exitUsage
	}
	if o.matrix {
		if o.html != "" {
			meter := terminal.MeterOnTerminal(os.Stderr, "drawing the fleet:")
			err := writeFile(o.html, func(out io.Writer) error {
				return report.WriteFleetHTML(out, "conform fleet compatibility — "+w.Name, w.Instances, &w.Policy, w.Repos, meter.Update)
			})
			if err != nil {
				fmt.Fprintf(stderr, "conform check: writing %s: %v\n", o.html, err)
				return exitUsage
			}
		}
		return printMatrix(w, o.output == "json", stdout, stderr)
	}
	for _, id := range []struct{ role, id string }{{"destination", o.dest}, {"source", o.source}} {
		if w.Instance(id.id) == nil {
			fmt.Fprintf(stderr, "conform check: %s %s is not in %s%s\n", id.role, id.id, w.Name, suggest.DidYouMean(id.id, w.InstanceIDs()))
			return exitUsage
		}
	}
	v := w.Policy.Evaluate(o.dest, w.Instance(o.dest), o.source, w.Instance(o.source))
	if o.output == "json" {
		if err := json.NewEncoder(stdout).Encode(verdictJSON(&v)); err != nil {
			fmt.Fprintf(stderr, "conform check: writing JSON: %v\n", err)
			return exitUsage
		}
	} else {
		printVerdict(stdout, &v, terminal.Colour(stdout))
	}
	return exitForDecision(v.Decision())
}

func exitForDecision(d checks.Decision) int {
	switch d {
	case checks.Compatible:
		return exitOK
	case checks.Refused:
		return exitFailed
	}
	return exitUndecided
}

func verdictJSON(v *checks.Verdict) checkJSON {
	out := checkJSON{
		Compatible:  v.Compatible(),
		Decision:    v.Decision().String(),
		Destination: v.DestID,
		Source:      v.SourceID,
		Warnings:    v.Warnings(),
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	if e := v.APIError(); e != nil {
		out.APIError = &apiErrorJSON{Code: e.Code, Message: e.Message, Documented: e.Documented, Source: e.Source}
	}
	for i, r := range checks.Rules() {
		out.Rules = append(out.Rules, ruleJSON{ID: r.ID, Verdict: v.Outcome(i).String(), Message: v.Message(i)})
	}
	return out
}

var marks = map[checks.Outcome]struct{ sign, colour string }{
	checks.Pass:    {"✓", "\x1b[32m"},
	checks.Fail:    {"✗", "\x1b[31m"},
	checks.Warn:    {"!", "\x1b[33m"},
	checks.Unknown: {"?", "\x1b[35m"},
}

func printVerdict(w io.Writer, v *checks.Verdict, colour bool) {
	headline := map[checks.Decision]string{
		checks.Compatible: "compatible: the platform will accept AddSnapshotRepo",
		checks.Refused:    "not compatible: the platform will refuse AddSnapshotRepo",
		checks.Undecided:  "undecided: a fact a rule needs is missing",
	}[v.Decision()]
	fmt.Fprintf(w, "destination %s ← source %s: %s\n", terminal.Line(v.DestID), terminal.Line(v.SourceID), headline)
	width := 0
	for _, r := range checks.Rules() {
		width = max(width, len(r.ID))
	}
	for i, r := range checks.Rules() {
		m := marks[v.Outcome(i)]
		sign := m.sign
		if colour {
			sign = m.colour + sign + "\x1b[0m"
		}
		fmt.Fprintf(w, "  %s %-*s  %s\n", sign, width, r.ID, terminal.Line(v.Message(i)))
	}
	if e := v.APIError(); e != nil {
		fmt.Fprintln(w, e.Answer())
	}
}

func printMatrix(w *world.World, asJSON bool, stdout, stderr io.Writer) int {
	out := bufio.NewWriterSize(stdout, 1<<20)
	var buf []byte
	meter := terminal.MeterOnTerminal(os.Stderr, "checking the fleet:")
	done := 0
	err := w.Policy.Matrix(w.Instances, func(row checks.MatrixRow) error {
		done++
		if done%1024 == 0 || done == len(w.Instances) {
			meter.Update(done, len(w.Instances))
		}
		if asJSON {
			buf = appendMatrixJSON(buf[:0], row)
			_, err := out.Write(buf)
			return err
		}
		d := row.Dest
		fmt.Fprintf(out, "%s (%s, %s, %s): %d source(s)", d.ID, d.Version, terminal.Line(d.Region), terminal.Line(d.Account), len(row.Compatible))
		if len(row.Compatible) > 0 {
			fmt.Fprintf(out, ": %s", joinIDs(row.Compatible))
		}
		if len(row.Warned) > 0 {
			fmt.Fprintf(out, "; with a restore warning: %s", joinIDs(row.Warned))
		}
		if len(row.Undecided) > 0 {
			fmt.Fprintf(out, "; undecided: %s", joinIDs(row.Undecided))
		}
		_, err := out.WriteString("\n")
		return err
	})
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		fmt.Fprintf(stderr, "conform check: writing the matrix: %v\n", err)
		return exitUsage
	}
	return exitOK
}

// matrixTextLimit is how many sources of one kind the text --matrix lists
// for a destination: a group of a million would otherwise write n² IDs.
// -o json lists every one.
const matrixTextLimit = 50

func joinIDs(in []*checks.Instance) string {
	ids := make([]string, 0, min(len(in), matrixTextLimit))
	for _, x := range in[:min(len(in), matrixTextLimit)] {
		ids = append(ids, x.ID)
	}
	s := strings.Join(ids, ", ")
	if len(in) > matrixTextLimit {
		s += fmt.Sprintf(" … and %d more (-o json lists every one)", len(in)-matrixTextLimit)
	}
	return s
}

// appendMatrixJSON writes one JSON line by hand: a 100,000-instance matrix is
// millions of IDs, and reflection-based encoding would dominate the run.
// Field names: destination, region, account, version, count, compatible,
// warned, undecided.
func appendMatrixJSON(b []byte, row checks.MatrixRow) []byte {
	d := row.Dest
	b = append(b, `{"destination":`...)
	b = appendJSONString(b, d.ID)
	b = append(b, `,"region":`...)
	b = appendJSONString(b, d.Region)
	b = append(b, `,"account":`...)
	b = appendJSONString(b, d.Account)
	b = append(b, `,"version":`...)
	b = appendJSONString(b, d.Version.Raw)
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, int64(len(row.Compatible)), 10)
	for _, f := range []struct {
		name string
		list []*checks.Instance
	}{{"compatible", row.Compatible}, {"warned", row.Warned}, {"undecided", row.Undecided}} {
		b = append(b, `,"`...)
		b = append(b, f.name...)
		b = append(b, `":[`...)
		for i, x := range f.list {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, x.ID)
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

// appendJSONString appends s as a JSON string: as it is when it is plain
// printable ASCII (IDs, versions, regions), else as encoding/json writes it
// — never Go's quoting, which is not JSON for control bytes.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
