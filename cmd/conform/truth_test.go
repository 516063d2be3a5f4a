package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/internal/refserver"
	"github.com/snaprepo/conform/world"
)

// smallWorld is a world that exercises no 6.7.0 kernel case: RULE-KERNEL-6.7
// (MUST) cannot be exercised.
const smallWorld = `region: cn-hangzhou
accounts:
  - id: "1"
    accessKeys: [{id: LTAI5tSmallWorld0001, secret: small-secret}]
  - id: "2"
    accessKeys: [{id: LTAI5tSmallWorld0002, secret: other-secret}]
instances:
  - {id: es-cn-small710dst000001, account: "1", region: cn-hangzhou, version: 7.10.0_with_X-Pack}
  - {id: es-cn-small79src0000001, account: "1", region: cn-hangzhou, version: 7.9_with_X-Pack}
  - {id: es-cn-small74src0000001, account: "1", region: cn-hangzhou, version: 7.4_with_X-Pack}
`

func writeFileT(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// outcomeReport is what the JSON report says of the whole run.
type outcomeReport struct {
	Outcome         string   `json:"outcome"`
	ExitCode        int      `json:"exitCode"`
	Incomplete      []string `json:"incomplete"`
	CapabilitiesOff []string `json:"capabilitiesOff"`
}

func readOutcome(t *testing.T, path string) outcomeReport {
	t.Helper()
	var o outcomeReport
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestRunExits3WhenAMustRequirementCannotBeExercised(t *testing.T) {
	w := writeFileT(t, "small.yaml", smallWorld)
	report := filepath.Join(t.TempDir(), "r.json")
	code, out, _ := conformRun(t, "--world", w, "--json-report", report)
	if code != 3 {
		t.Fatalf("exit %d, want 3 (incomplete):\n%s", code, out)
	}
	if !strings.Contains(out, "INCOMPLETE: nothing failed, but these MUST requirements were not (fully) exercised:") || !strings.Contains(out, "RULE-KERNEL-6.7") {
		t.Errorf("the console does not say what is incomplete:\n%s", out)
	}
	if o := readOutcome(t, report); o.Outcome != "incomplete" || o.ExitCode != 3 || !strings.Contains(strings.Join(o.Incomplete, ","), "RULE-KERNEL-6.7") {
		t.Errorf("JSON report: %+v", o)
	}
	code, out, _ = conformRun(t, "--world", w, "--allow-incomplete")
	if code != 0 {
		t.Errorf("--allow-incomplete: exit %d, want 0:\n%s", code, out)
	}
}

func TestRunWithACapabilityDeclaredAbsentIsCompleteAndSaysSo(t *testing.T) {
	dir := t.TempDir()
	report, badge, summary := filepath.Join(dir, "r.json"), filepath.Join(dir, "b.svg"), filepath.Join(dir, "s.md")
	code, out, _ := conformRun(t, "--capabilities", "list,delete,alternatives,describe,instances", "--json-report", report, "--badge", badge, "--summary", summary)
	if code != 0 {
		t.Fatalf("exit %d, want 0 (auth declared absent is not incomplete):\n%s", code, out)
	}
	if !strings.Contains(out, "declared absent (their specs disabled): auth") {
		t.Errorf("the console does not name the absent capability:\n%s", out)
	}
	if o := readOutcome(t, report); o.Outcome != "complete" || strings.Join(o.CapabilitiesOff, ",") != "auth" {
		t.Errorf("JSON report: %+v", o)
	}
	for path, want := range map[string]string{badge: "without auth", summary: "declared absent (their specs disabled): auth"} {
		b, _ := os.ReadFile(path)
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q:\n%s", filepath.Base(path), want, b)
		}
	}
}

func TestDryRunSendsNothingAndSaysWhatTheWorldLacks(t *testing.T) {
	var requests atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	defer ts.Close()
	code, out, _ := conformRun(t, "--dry-run", "--endpoint", ts.URL)
	if code != 0 || !strings.Contains(out, "the world exercises every selected MUST requirement") || !strings.Contains(out, "→ MUST   RULE-VERSION            planned   3 spec(s) would run") {
		t.Errorf("dry run of the built-in world: exit %d\n%s", code, out)
	}
	code, out, _ = conformRun(t, "--dry-run", "--world", writeFileT(t, "small.yaml", smallWorld))
	if code != 3 || !regexp.MustCompile(`RULE-KERNEL-6.7 +skipped +the world cannot exercise this: add two 6.7.0 Standard instances`).MatchString(out) {
		t.Errorf("dry run of a small world: exit %d, want 3 naming what to add:\n%s", code, out)
	}
	if strings.Contains(out, "no --endpoint: running against") {
		t.Errorf("a dry run started a server:\n%s", out)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("a dry run sent %d requests", n)
	}
}

func TestWorldInitExercisesEveryRequirement(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"world", "init"}, &out, &errOut); code != 0 {
		t.Fatalf("world init: exit %d: %s", code, errOut.String())
	}
	path := writeFileT(t, "world.yaml", out.String())
	if _, err := world.Load(path); err != nil {
		t.Fatalf("world init's output does not load: %v", err)
	}
	if !strings.HasPrefix(out.String(), "# A world for conform run (format: docs/world.md)") {
		t.Errorf("world init does not open with its explanation:\n%.300s", out.String())
	}
	if code, o, _ := conformRun(t, "--dry-run", "--world", path); code != 0 {
		t.Errorf("--dry-run on world init's output: exit %d\n%s", code, o)
	}
	code, o, rep := conformRun(t, "--world", path)
	if code != 0 {
		t.Fatalf("conform run on world init's output: exit %d\n%s", code, o)
	}
	for _, r := range rep.Requirements {
		if r.State != "passed" {
			t.Errorf("%s is %s on world init's world, want passed", r.ID, r.State)
		}
	}
}

func TestALabelFilterThatSelectsNothingExits2WithTheClosestLabel(t *testing.T) {
	tests := []struct{ filter, says string }{
		{"MUSTT", "no spec is labelled MUSTT (did you mean MUST?)"},
		{"RULE-VERSOIN || AUTH-V3", "no spec is labelled RULE-VERSOIN (did you mean RULE-VERSION?)"},
		{"MUST && SHOULD", `label filter "MUST && SHOULD" selects no spec`},
	}
	for _, tt := range tests {
		code, out, _ := conformRun(t, "--label-filter", tt.filter)
		if code != 2 || !strings.Contains(out, tt.says) || !strings.Contains(out, "the labels are MUST, SHOULD and the requirement IDs: REQ-JSON-BODY") || strings.Contains(out, "Ran ") {
			t.Errorf("--label-filter %q: exit %d, want 2 saying %q before any spec:\n%s", tt.filter, code, tt.says, out)
		}
	}
}

// An implementation that answers the probe and then never again: the run
// ends after three unanswered requests, not after one timeout per spec.
func TestAnImplementationThatStopsAnsweringEndsTheRunSoon(t *testing.T) {
	ref := referenceWith(t, refserver.Faults{})
	var served, after atomic.Int64
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 1 {
			ref.ServeHTTP(rw, r)
			return
		}
		after.Add(1)
		<-release
	}))
	defer ts.Close()
	defer close(release)
	code, out, rep := conformRun(t, "--endpoint", ts.URL, "--timeout", "1s")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	if !strings.Contains(out, "not run: not sent: the implementation stopped answering after 3 consecutive requests without an answer") {
		t.Errorf("the remaining specs do not say why they did not run:\n%.3000s", out)
	}
	if len(rep.Failed) < 20 {
		t.Errorf("only %v failed: every remaining requirement must fail as not run", rep.Failed)
	}
	// Three unanswered requests, plus whatever one spec had in flight at once
	// (ROB-CONCURRENT sends 32): never one per remaining spec.
	if n := after.Load(); n > 3+32 {
		t.Errorf("%d requests after the endpoint stopped answering", n)
	}
}

// An implementation whose every answer is larger than conform reads does
// answer: the run fails saying so, spec by spec, rather than calling the
// endpoint unreachable or stopped.
func TestAnswersLargerThanTheCapFailTheSpecsNotTheHarness(t *testing.T) {
	var requests atomic.Int64
	huge := `{"Code":"X","Message":"` + strings.Repeat("m", apiclient.MaxResponse) + `","RequestId":"r"}`
	ts := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(400)
		rw.Write([]byte(huge))
	}))
	defer ts.Close()
	code, out, rep := conformRun(t, "--endpoint", ts.URL, "--timeout", "5s")
	if code != 1 || strings.Contains(out, "does not answer") || strings.Contains(out, "stopped answering") {
		t.Fatalf("exit %d, want 1 with no word of an endpoint that does not answer:\n%.3000s", code, out)
	}
	if !strings.Contains(out, "answer larger than the cap") || len(rep.Failed) < 20 {
		t.Errorf("the failures do not say the answers were too large (failed: %v):\n%.3000s", rep.Failed, out)
	}
	if requests.Load() < 20 {
		t.Errorf("%d requests: the specs did not run", requests.Load())
	}
}

func TestAConnectionDroppedIsSaidSo(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Acs-Action") == "DescribeInstance" {
			rw.WriteHeader(404)
			return
		}
		conn, _, err := rw.(http.Hijacker).Hijack()
		if err == nil {
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
	}))
	defer ts.Close()
	code, out, _ := conformRun(t, "--endpoint", ts.URL, "--timeout", "5s")
	if code != 1 || !strings.Contains(out, "connection dropped before an answer") || strings.Contains(out, "no answer within 5s") {
		t.Errorf("exit %d; want the failures to say the connection dropped:\n%.3000s", code, out)
	}
}

// A hostile implementation streams a huge answer with terminal escapes:
// conform reads at most 1 MiB of it, reports stay small, and no escape byte
// reaches the console or a text report.
func TestHugeAndHostileAnswersAreBoundedAndEscaped(t *testing.T) {
	hostile := "\x1b[2J\x1b]0;pwned\x07\x9b31m\r"
	ts := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-Acs-Action") == "DescribeInstance" {
			rw.WriteHeader(400)
			rw.Write([]byte(`{"Code":"` + hostile + `","Message":"m","RequestId":"r"}`))
			return
		}
		if r.Method == http.MethodPost && strings.Contains(r.Header.Get("Content-Type"), "form") {
			// 1 GB, unless conform stops reading.
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			rw.WriteHeader(200)
			for range 1024 {
				if _, err := rw.Write(chunk); err != nil {
					return
				}
			}
			return
		}
		rw.WriteHeader(400)
		rw.Write([]byte(`{"Code":"Bad` + hostile + `","Message":"` + strings.Repeat(hostile, 500) + `","RequestId":"r` + hostile + `"}`))
	}))
	defer ts.Close()
	dir := t.TempDir()
	summary, junit, report := filepath.Join(dir, "s.md"), filepath.Join(dir, "j.xml"), filepath.Join(dir, "r.json")
	code, out, _ := conformRun(t, "--endpoint", ts.URL, "--timeout", "10s", "--summary", summary, "--junit-report", junit, "--json-report", report)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%.2000s", code, out)
	}
	if strings.ContainsAny(out, "\x1b\x07\r\u009b") {
		t.Errorf("a control byte from the implementation reached the console")
	}
	if !strings.Contains(out, `\x1b[2J`) {
		t.Errorf("the escaped answer is not shown:\n%.2000s", out)
	}
	if len(out) > 4<<20 {
		t.Errorf("console output of %d bytes", len(out))
	}
	for _, path := range []string{summary, junit, report} {
		b, _ := os.ReadFile(path)
		if len(b) > 4<<20 {
			t.Errorf("%s is %d bytes", filepath.Base(path), len(b))
		}
		if path != report && bytes.ContainsAny(b, "\x1b\x07\r") {
			t.Errorf("%s holds a raw control byte", filepath.Base(path))
		}
	}
}

// The zero-argument run talks to the built-in server with the world's keys,
// whatever the environment holds; an AccessKey ID is never printed whole.
func TestCredentialsFromTheEnvironmentNeitherBreakTheBuiltinRunNorLeak(t *testing.T) {
	env := append(os.Environ(), "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tSomeoneElseEntirely99", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=s3cr3t")
	cmd := exec.Command(conformBinary(t), "run", "--no-color")
	cmd.Env = env
	b, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("zero-argument run with foreign keys in the environment: exit %d\n%s", code, b)
	}
	s := startServe(t, "--log-level", "error")
	cmd = exec.Command(conformBinary(t), "run", "--no-color", "--endpoint", s.url)
	cmd.Env = env
	b, _ = cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(b), "AccessKeyId LTAI5t…99 is not an AccessKey") {
		t.Errorf("an unknown key against an endpoint: exit %d, want 2 naming the masked key\n%s", code, b)
	}
	if bytes.Contains(b, []byte("SomeoneElseEntirely")) || bytes.Contains(b, []byte("s3cr3t")) {
		t.Errorf("the AccessKey ID or secret was printed:\n%s", b)
	}
}

func TestADeadlineEndsASlowRun(t *testing.T) {
	ref := referenceWith(t, refserver.Faults{})
	ts := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond)
		ref.ServeHTTP(rw, r)
	}))
	defer ts.Close()
	code, out, _ := conformRun(t, "--endpoint", ts.URL, "--deadline", "2s")
	if code != 1 || !strings.Contains(out, "not run: the run's deadline (2s: Config.Deadline, conform run --deadline) passed") {
		t.Errorf("exit %d, want 1 with the specs after the deadline not run:\n%.3000s", code, out)
	}
}
