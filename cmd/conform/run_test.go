package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/snaprepo/conform/internal/refserver"
	"github.com/snaprepo/conform/report"
	"github.com/snaprepo/conform/world"
)

// runReport is the part of the JSON report the tests read.
type runReport struct {
	ToolVersion      string   `json:"toolVersion"`
	CatalogueVersion string   `json:"catalogueVersion"`
	Failed           []string `json:"failed"`
	Requirements     []struct {
		ID    string `json:"id"`
		State string `json:"state"`
	} `json:"requirements"`
	Specs []struct {
		Throttled  int      `json:"throttled"`
		Unobserved []string `json:"unobserved"`
	} `json:"specs"`
	// Exhaustive's field names are pinned by report's own tests.
	Exhaustive *report.Exhaustive `json:"exhaustive"`
}

// conformRun runs the real binary's `conform run` and reads its JSON report.
func conformRun(t *testing.T, args ...string) (code int, out string, rep runReport) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(conformBinary(t), append([]string{"run", "--no-color", "--json-report", path}, args...)...)
	b, err := cmd.CombinedOutput()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("conform run: %v\n%s", err, b)
	}
	if data, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatalf("JSON report: %v", err)
		}
	}
	return code, string(b), rep
}

func TestRunPassesOnTheBuiltinReferenceServer(t *testing.T) {
	dir := t.TempDir()
	junit, summary := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "summary.md")
	code, out, rep := conformRun(t, "--junit-report", junit, "--summary", summary)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "no --endpoint: running against the built-in reference server at http://127.0.0.1:") || !strings.Contains(out, "nothing failed") {
		t.Errorf("output:\n%s", out)
	}
	for _, r := range rep.Requirements {
		if r.State != "passed" {
			t.Errorf("%s is %s on the reference server", r.ID, r.State)
		}
	}
	if rep.ToolVersion != "0.1.0-dev" || rep.CatalogueVersion != builtinCatalogueVersion(t) {
		t.Errorf("JSON report versions: tool %q, catalogue %q", rep.ToolVersion, rep.CatalogueVersion)
	}
	x, _ := os.ReadFile(junit)
	if !strings.Contains(string(x), `<testcase name="OK-CREATED | `) || !strings.Contains(string(x), `name="catalogueVersion"`) {
		t.Errorf("JUnit names must start with requirement IDs and carry the versions:\n%.600s", x)
	}
	s, _ := os.ReadFile(summary)
	if !strings.Contains(string(s), "conform 0.1.0-dev, requirement catalogue "+builtinCatalogueVersion(t)) || !strings.Contains(string(s), "| ID | level | result | reason |") || !strings.Contains(string(s), "| RULE-VERSION | MUST | passed |") {
		t.Errorf("summary:\n%s", s)
	}
}

// The suite is independent of order and cleans up: random order, twice in a
// row against one `conform serve`, and exhaustively.
func TestRunTwiceInRandomOrderAgainstOneServe(t *testing.T) {
	s := startServe(t, "--log-level", "error")
	for i, args := range [][]string{
		{"--randomize-all", "--seed", "7"},
		{"--randomize-all", "--seed", "11", "--exhaustive", "--signature", "v1"},
	} {
		code, out, rep := conformRun(t, append([]string{"--endpoint", s.url}, args...)...)
		if code != 0 || len(rep.Failed) != 0 {
			t.Fatalf("run %d exit %d, failed %v:\n%s", i+1, code, rep.Failed, out)
		}
		exhaustive := slices.Contains(args, "--exhaustive")
		if x := rep.Exhaustive; (x != nil) != exhaustive {
			t.Errorf("run %d: exhaustive tally %+v in the report of a run with %v", i+1, x, args)
		} else if x != nil {
			// Every pair of the world is compared or left out for a reason.
			if x.Compared == 0 || x.Compared+x.Existing+x.Undecided != x.Pairs || x.NotCompared != 0 || x.Disagreeing != 0 || x.Existing == 0 {
				t.Errorf("run %d: exhaustive tally %+v: want every pair compared but the world's repositories and the undecided", i+1, *x)
			}
			if want := fmt.Sprintf("exhaustive: %d of %d pairs compared, 0 disagree;", x.Compared, x.Pairs); !strings.Contains(out, want) {
				t.Errorf("run %d: the console does not say %q:\n%s", i+1, want, out)
			}
		}
	}
	s.stop(t)
}

func TestRunHarnessErrorsExit2BeforeAnySpec(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "world.yaml")
	os.WriteFile(broken, []byte("region: r\ninstances: [{id: x, version: nope}]\n"), 0o644)
	tests := []struct {
		name string
		args []string
		says string
	}{
		{"unreachable endpoint", []string{"--endpoint", "http://127.0.0.1:1", "--timeout", "2s"}, "does not answer"},
		{"broken world", []string{"--world", broken}, `version "nope" is not a version`},
		{"bad capability", []string{"--capabilities", "list,teleport"}, `capability "teleport"`},
		{"bad signature", []string{"--signature", "v2"}, `invalid value "v2" for flag --signature: signature "v2" is not a way of signing`},
		{"bad label filter", []string{"--label-filter", "MUST &&"}, "label filter"},
		{"bad endpoint", []string{"--endpoint", "ftp://x"}, "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, _ := conformRun(t, tt.args...)
			if code != 2 || !strings.Contains(out, tt.says) || strings.Contains(out, "Ran ") {
				t.Errorf("exit %d, want 2 with %q and no spec run:\n%s", code, tt.says, out)
			}
		})
	}
}

// A garbage-answering implementation fails, and the run ends.
func TestRunAgainstGarbageFailsAndEnds(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.Write([]byte("<html>hello</html>"))
	}))
	defer ts.Close()
	code, out, rep := conformRun(t, "--endpoint", ts.URL, "--timeout", "2s")
	if code != 1 || !slices.Contains(rep.Failed, "OK-CREATED") || !slices.Contains(rep.Failed, "ERR-ENVELOPE") {
		t.Errorf("exit %d, failed %v:\n%s", code, rep.Failed, out)
	}
	if !strings.Contains(out, "[OK-CREATED] expected success") || !strings.Contains(out, "request: POST /openapi/instances/") {
		t.Errorf("a failure should name the requirement, the request and the answer:\n%s", out)
	}
}

// An endpoint that redirects every request to a faithful server is judged
// by its own answers: the redirect is not followed (the faithful server sees
// nothing), the run fails and the failure names the Location.
func TestRunFollowsNoRedirect(t *testing.T) {
	var reached atomic.Int64
	faithful := referenceWith(t, refserver.Faults{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		faithful.ServeHTTP(w, r)
	}))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	code, out, rep := conformRun(t, "--endpoint", redirector.URL, "--timeout", "2s", "--label-filter", "OK-CREATED")
	if code != 1 || !slices.Contains(rep.Failed, "OK-CREATED") {
		t.Errorf("exit %d, failed %v: want exit 1 failing OK-CREATED\n%s", code, rep.Failed, out)
	}
	if !strings.Contains(out, "307 (a redirect to "+target.URL) {
		t.Errorf("the failure should name the redirect's Location %s:\n%s", target.URL, out)
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("%d requests reached the redirect's target: a redirect must not be followed", n)
	}
}

// Each planted fault makes `conform run` exit 1 and name the requirement the
// fault breaks; the faithful server passes.
func TestSuiteCatchesEveryPlantedFault(t *testing.T) {
	w, err := world.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	// Every planted fault (refserver.Planted, the one list), and the
	// faithful server, which must pass.
	type row struct {
		name  string
		fault refserver.Faults
		// planted is the fault's entry: what catches it, whether alone,
		// whether with --exhaustive (the zero value for the faithful server).
		planted refserver.PlantedFault
	}
	faults := []row{{name: "none: the faithful server"}}
	for _, p := range refserver.Planted() {
		faults = append(faults, row{p.Name + ": " + p.Breaks, p.With(), p})
	}
	var mu sync.Mutex
	table := map[string]string{}
	t.Run("faults", func(t *testing.T) {
		for _, f := range faults {
			t.Run(f.name, func(t *testing.T) {
				t.Parallel()
				srv, err := refserver.New(refserver.Config{World: w, Auth: true, Faults: f.fault})
				if err != nil {
					t.Fatal(err)
				}
				ts := httptest.NewServer(srv)
				defer ts.Close()
				// The reference shows writes at once: a short settle keeps the
				// faults that break lists from waiting the default 2 s per read.
				args := []string{"--endpoint", ts.URL, "--timeout", "1s", "--settle", "250ms"}
				want := f.planted.Catches
				if want != "" && !f.planted.Only {
					// The requirement that catches the fault, alone: that it
					// catches it is the claim. The faithful server and the
					// "only" faults run whole, to show nothing else fails.
					args = append(args, "--label-filter", want)
				}
				if f.planted.Exhaustive {
					args = append(args, "--exhaustive")
				}
				code, out, rep := conformRun(t, args...)
				mu.Lock()
				table[f.name] = fmt.Sprintf("exit %d, failed: %s", code, strings.Join(rep.Failed, ", "))
				mu.Unlock()
				switch {
				case want == "" && code != 0:
					t.Errorf("the faithful server: exit %d, failed %v\n%s", code, rep.Failed, out)
				case f.planted.Only:
					// Blame lands where the fault is: the specs that meet the
					// leftover say so instead of failing their own requirement.
					if code != 1 || strings.Join(rep.Failed, ",") != want || (want == "OK-DELETED" && !strings.Contains(out, "started from a dirty state because")) {
						t.Errorf("exit %d, failed %v: want exit 1 naming %s and nothing else\n%s", code, rep.Failed, want, out)
					}
				case want != "" && (code != 1 || !slices.Contains(rep.Failed, want)):
					t.Errorf("exit %d, failed %v: want exit 1 naming %s\n%s", code, rep.Failed, want, out)
				}
			})
		}
	})
	var b strings.Builder
	b.WriteString("planted fault → caught by\n")
	for _, f := range faults {
		fmt.Fprintf(&b, "  %-40s %s\n", f.name, table[f.name])
	}
	t.Log(b.String())
}

// An exhaustive run against a server that does not check regions names
// every pair it got wrong, not only the first, each with the oracle's reason.
func TestExhaustiveReportsEveryDisagreeingPair(t *testing.T) {
	ts := httptest.NewServer(referenceWith(t, refserver.Faults{IgnoreRegion: true}))
	defer ts.Close()
	code, out, rep := conformRun(t, "--endpoint", ts.URL, "--exhaustive", "--label-filter", "RULE-SAME-REGION", "--parallel", "4")
	if code != 1 || !slices.Contains(rep.Failed, "RULE-SAME-REGION") {
		t.Fatalf("exit %d, failed %v\n%s", code, rep.Failed, out)
	}
	// The cn-beijing source is refused by region for every destination of
	// cn-hangzhou it is not newer than: each is a line of its own.
	lines := regexp.MustCompile(`(?m)^\s+- (es-cn-\S+) ← es-cn-cfbeijing0000001: want a refusal.*source es-cn-cfbeijing0000001 is in cn-beijing`).FindAllStringSubmatch(out, -1)
	dests := map[string]bool{}
	for _, l := range lines {
		dests[l[1]] = true
	}
	if len(dests) < 5 {
		t.Errorf("only %d disagreeing pairs named:\n%s", len(dests), out)
	}
	// Only the region specs ran: the tally says how many pairs disagreed
	// and how many were never compared.
	x := rep.Exhaustive
	if x == nil || x.Disagreeing < len(dests) || x.Disagreeing > x.Compared || x.NotCompared == 0 ||
		x.Compared+x.NotCompared+x.Existing+x.Undecided != x.Pairs || !strings.Contains(out, "not compared (their specs did not run)") {
		t.Errorf("exhaustive tally %+v (%d disagreeing pairs named):\n%s", x, len(dests), out)
	}
}

// referenceWith is the reference server of the built-in world, signatures
// checked, with faults planted (none for the faithful one), as the
// in-process implementation a test runs conform against.
func referenceWith(t testing.TB, faults refserver.Faults) *refserver.Server {
	t.Helper()
	w, err := world.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := refserver.New(refserver.Config{World: w, Auth: true, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// A --thorough run says it takes minutes, and on a terminal shows how far
// it is: the progress line counts the specs as they end (a pty from
// script(1) is the terminal; the label filter keeps the run short).
func TestThoroughShowsProgressOnATerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) here to give the run a terminal")
	}
	cmdline := conformBinary(t) + " run --thorough --label-filter AUTH-UNKNOWN-KEY"
	out, err := exec.Command(script, "-qec", cmdline, "/dev/null").CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmdline, err, out)
	}
	for _, want := range []string{"--thorough: the slow attacks wait 61 s and 5 minutes", "specs: 1/1 (100%), done in"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the run's terminal lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "specs: 2/1") {
		t.Errorf("the progress counts specs the label filter left out:\n%s", out)
	}
	// Not on a terminal: no progress line.
	code, plain, errOut := conform(t, "run", "--thorough", "--label-filter", "AUTH-UNKNOWN-KEY")
	if code != 0 || strings.Contains(plain+errOut, "specs: ") || !strings.Contains(plain, "--thorough: the slow attacks") {
		t.Errorf("piped: exit %d, output %s%s", code, plain, errOut)
	}
}
