package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/internal/controltest"
	"github.com/snaprepo/conform/server"
)

// TestMain makes this test binary the conform command too (testscript's
// re-exec): tests run it as a process from $PATH, with no build step.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"conform": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// conformBinary is the conform command on $PATH: this test binary, which
// runs main when called by that name.
func conformBinary(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("conform")
	if err != nil {
		t.Fatalf("conform is not on $PATH (testscript.Main sets it up): %v", err)
	}
	return path
}

// served is a `conform serve` process.
type served struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
	mu     *sync.Mutex
}

func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	return startListener(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
}

// startListener starts a conform command that prints "listening on
// http://HOST:PORT" first (serve, record), and waits for that line.
func startListener(t *testing.T, args ...string) *served {
	t.Helper()
	return startListenerWithEnv(t, nil, args...)
}

// startListenerWithEnv is startListener with the process's environment
// (nil: this one's).
func startListenerWithEnv(t *testing.T, env []string, args ...string) *served {
	t.Helper()
	cmd := exec.Command(conformBinary(t), args...)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, stderr: &bytes.Buffer{}, mu: &sync.Mutex{}}
	cmd.Stderr = lockedWriter{s.mu, s.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			// What the server said, had it a fault (a panic, a fatal error).
			s.mu.Lock()
			t.Logf("conform %s: its stderr:\n%.4000s", strings.Join(args, " "), s.stderr.String())
			s.mu.Unlock()
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-lines:
		url, ok := strings.CutPrefix(line, "listening on ")
		if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
			t.Fatalf("first stdout line %q, want listening on http://HOST:PORT", line)
		}
		s.url = url
	case <-time.After(20 * time.Second):
		t.Fatalf("no listening line; stderr:\n%s", s.log())
	}
	return s
}

func (s *served) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// stop sends SIGTERM and wants a clean exit.
func (s *served) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v; stderr:\n%s", err, s.log())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

var primaryCreds = acs.Credentials{AccessKeyID: "LTAI5tConformPrimary01", AccessKeySecret: "conform-primary-secret-01"}

func TestServeProcessKeepsRepositoriesInItsDataDir(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, "--data-dir", dir)
	c := apiclient.New(s.url, primaryCreds, apiclient.SignV3, 5*time.Second)
	resp, err := c.Do(context.Background(), apiclient.AddJSON("es-cn-cf710dest0000001", "es-cn-cf79src00000001"))
	if err != nil || resp.Status != 200 {
		t.Fatalf("add: %v %v", err, resp)
	}
	s.stop(t)
	for _, want := range []string{"action=AddSnapshotRepo", "account=1638000000000001", "status=200", "method=POST", "duration="} {
		if !strings.Contains(s.log(), want) {
			t.Errorf("request log lacks %s:\n%s", want, s.log())
		}
	}

	s = startServe(t, "--data-dir", dir)
	c = apiclient.New(s.url, primaryCreds, apiclient.SignV1, 5*time.Second)
	resp, err = c.Do(context.Background(), apiclient.List("es-cn-cf710dest0000001"))
	if err != nil {
		t.Fatal(err)
	}
	repos, err := resp.Repos()
	if err != nil || len(repos) != 1 || repos[0].RepoPath != "es-cn-cf79src00000001" {
		t.Errorf("after restart: %v %v", repos, err)
	}
	s.stop(t)
}

func TestServeAuthOffSaysSo(t *testing.T) {
	s := startServe(t, "--auth=off")
	c := apiclient.New(s.url, primaryCreds, apiclient.Unsigned, 5*time.Second)
	resp, err := c.Do(context.Background(), apiclient.Describe("es-cn-cf710dest0000001"))
	if err != nil || resp.Status != 200 {
		t.Fatalf("unsigned describe with auth off: %v %v", err, resp)
	}
	s.stop(t)
	if !strings.Contains(s.log(), "signature checking is off") {
		t.Errorf("no warning at start:\n%s", s.log())
	}
}

func TestServeBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "repos.json"), []byte("{not json"), 0o644)
	tests := []struct {
		name string
		args []string
		says string
	}{
		{"bad auth", []string{"serve", "--auth", "maybe"}, `--auth "maybe"`},
		{"bad log level", []string{"serve", "--log-level", "loud"}, `--log-level "loud"`},
		{"corrupt state", []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir}, "corrupt"},
		{"bad address", []string{"serve", "--addr", "256.0.0.1:99999"}, "cannot listen"},
		{"missing world", []string{"serve", "--world", filepath.Join(dir, "none.yaml")}, "none.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := conform(t, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.says) {
				t.Errorf("exit %d, stderr:\n%s", code, errOut)
			}
		})
	}
}

// conform serve --faults lists every planted fault once, by the name
// --fault takes; conform serve --fault NAME then misbehaves so that
// conform run names the requirement the list says catches it.
func TestServeWithAPlantedFaultIsCaught(t *testing.T) {
	code, out, _ := conform(t, "serve", "--faults")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) < 40 {
		t.Fatalf("serve --faults: exit %d, %d lines", code, len(lines))
	}
	seen := map[string]bool{}
	for _, l := range lines {
		name, _, _ := strings.Cut(l, " ")
		if seen[name] || !regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`).MatchString(name) || !strings.Contains(l, "(caught by ") {
			t.Errorf("serve --faults line %q", l)
		}
		seen[name] = true
	}
	for _, want := range []string{"not-found-as-404", "huge-body-5xx", "roa-nonce-unchecked", "ignore-region"} {
		if !seen[want] {
			t.Errorf("serve --faults lacks %s", want)
		}
	}
	s := startServe(t, "--log-level", "warn", "--fault", "ignore-region")
	for i := 0; i < 50 && !strings.Contains(s.log(), "planted faults"); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(s.log(), "planted faults") {
		t.Errorf("serve does not warn that it misbehaves:\n%s", s.log())
	}
	code, runOut, rep := conformRun(t, "--endpoint", s.url, "--label-filter", "RULE-SAME-REGION")
	if code != 1 || !slices.Contains(rep.Failed, "RULE-SAME-REGION") {
		t.Errorf("run against --fault ignore-region: exit %d, failed %v\n%s", code, rep.Failed, runOut)
	}
	if code, _, errOut := conform(t, "serve", "--fault", "ignore-regoin"); code != 2 || !strings.Contains(errOut, "did you mean ignore-region?") {
		t.Errorf("an unknown fault: exit %d, %s", code, errOut)
	}
}

// A shutdown does not wait for a request in an injected delay: SIGTERM
// during a five-minute delay ends serve at once, cleanly.
func TestServeStopsDuringAnInjectedDelay(t *testing.T) {
	s := startServe(t, "--auth", "off", "--control-token", "tok", "--log-level", "warn")
	control := s.url + server.ControlPrefix
	if code, out := controltest.Call(t, control, "tok", http.MethodPost, "faults", `{"action": "*", "delay": "5m"}`); code != http.StatusCreated {
		t.Fatalf("POST faults: %d %v", code, out)
	}
	go func() {
		if resp, err := http.Get(s.url + "/openapi/instances/es-cn-cf710dest0000001"); err == nil {
			resp.Body.Close()
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, out := controltest.Call(t, control, "tok", http.MethodGet, "faults", "")
		if pending, _ := out["faults"].([]any); len(pending) == 0 {
			break // the request is in its delay
		}
		if time.Now().After(deadline) {
			t.Fatalf("the request never took its delay: %v", out)
		}
	}
	start := time.Now()
	s.stop(t)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("serve took %v to stop during an injected delay; want at once", took)
	}
}
