package refserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/snaprepo/conform/internal/controltest"
	"github.com/snaprepo/conform/world"
)

// callControl sends one control API call and returns the status and the
// decoded JSON answer.
func callControl(t *testing.T, url, method, path, body string) (int, map[string]any) {
	t.Helper()
	return controltest.Call(t, url+ControlPrefix, "ctl", method, path, body)
}

// startServer is New(cfg), on the built-in world when cfg names none,
// closed when t ends.
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.World == nil {
		w, err := world.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		cfg.World = w
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func controlServer(t *testing.T) (*Server, string) {
	t.Helper()
	s := startServer(t, Config{ControlToken: "ctl"})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

// Every control operation, its answer and its effect on the state; each
// bound refused on either side.
func TestControlOperationsAndTheirBounds(t *testing.T) {
	s, url := controlServer(t)
	w := s.cfg.World
	// An instance that is a source of a repository of the world, and one
	// that is not.
	var source string
	for _, r := range w.Repos {
		source = r.RepoPath
	}
	if source == "" {
		t.Fatal("the built-in world has no repositories")
	}
	if code, out := callControl(t, url, http.MethodPut, "instances/es-cn-ctlnew000000001", `{"account": "`+w.Accounts[0].ID+`", "region": "`+w.Region+`", "version": "7.10.0"}`); code != 200 || out["instance"] == nil {
		t.Errorf("PUT a new instance: %d %v", code, out)
	}
	if s.w().Instance("es-cn-ctlnew000000001") == nil {
		t.Error("PUT did not add the instance")
	}
	if code, _ := callControl(t, url, http.MethodPut, "instances/es-cn-ctlnew000000001", `{"version": "not a version"}`); code != 400 {
		t.Errorf("PUT a bad version: %d, want 400", code)
	}
	if code, out := callControl(t, url, http.MethodDelete, "instances/es-cn-ctlnew000000001", ""); code != 200 || out["removed"] != true {
		t.Errorf("DELETE an instance: %d %v", code, out)
	}
	if s.w().Instance("es-cn-ctlnew000000001") != nil {
		t.Error("DELETE kept the instance")
	}
	if code, _ := callControl(t, url, http.MethodDelete, "instances/es-cn-ctlnew000000001", ""); code != 404 {
		t.Errorf("DELETE what is gone: %d, want 404", code)
	}
	before := len(s.State().Repos)
	if code, _ := callControl(t, url, http.MethodDelete, "instances/"+source, ""); code != 200 {
		t.Errorf("DELETE a source: %d", code)
	}
	after := s.State().Repos
	for _, r := range after {
		if r.Instance == source || r.RepoPath == source {
			t.Errorf("a repository of the removed %s stays: %+v", source, r)
		}
	}
	if len(after) >= before {
		t.Errorf("repositories %d before, %d after removing a source", before, len(after))
	}
	if len(after) == 0 && before > 1 {
		t.Error("removing one source removed every repository")
	}

	dest := w.Instances[0].ID
	for _, after := range []string{`"-1s"`, `"25h"`} {
		if code, _ := callControl(t, url, http.MethodPost, "transitions", `{"instance": "`+dest+`", "status": "inactive", "after": `+after+`}`); code != 400 {
			t.Errorf("a transition after %s: %d, want 400", after, code)
		}
	}
	if code, _ := callControl(t, url, http.MethodPost, "transitions", `{"instance": "`+dest+`", "status": "inactive", "after": "1h"}`); code != 201 {
		t.Errorf("a transition after 1h: %d, want 201", code)
	}
	if code, out := callControl(t, url, http.MethodGet, "transitions", ""); code != 200 || len(out["transitions"].([]any)) != 1 {
		t.Errorf("GET transitions: %d %v", code, out)
	}

	for name, body := range map[string]string{
		"negative times":     `{"action": "AddSnapshotRepo", "status": 503, "code": "X", "times": -1}`,
		"a million and one":  `{"action": "AddSnapshotRepo", "status": 503, "code": "X", "times": 1000001}`,
		"a code too long":    `{"action": "AddSnapshotRepo", "status": 503, "code": "` + strings.Repeat("C", 129) + `"}`,
		"a message too long": `{"action": "AddSnapshotRepo", "status": 503, "code": "X", "message": "` + strings.Repeat("m", 1025) + `"}`,
		"a code, no status":  `{"action": "AddSnapshotRepo", "code": "X"}`,
	} {
		if code, _ := callControl(t, url, http.MethodPost, "faults", body); code != 400 {
			t.Errorf("a fault with %s: %d, want 400", name, code)
		}
	}
	for _, body := range []string{
		`{"action": "AddSnapshotRepo", "status": 503, "code": "X", "times": 1000000}`,
		`{"action": "AddSnapshotRepo", "status": 503, "code": "` + strings.Repeat("C", 128) + `", "message": "` + strings.Repeat("m", 1024) + `"}`,
	} {
		if code, _ := callControl(t, url, http.MethodPost, "faults", body); code != 201 {
			t.Errorf("a fault at the bounds: %d, want 201", code)
		}
	}
	// A fault for one action is not taken by another.
	if _, _, ok := s.takeInjected("DescribeInstance"); ok {
		t.Error("DescribeInstance took AddSnapshotRepo's fault")
	}
	if f, _, ok := s.takeInjected("AddSnapshotRepo"); !ok || f.Status != 503 {
		t.Errorf("AddSnapshotRepo's fault: %+v %v", f, ok)
	}
	if code, out := callControl(t, url, http.MethodDelete, "faults", ""); code != 200 || len(out["faults"].([]any)) != 0 {
		t.Errorf("DELETE faults: %d %v", code, out)
	}
	if len(s.InjectedFaults()) != 0 {
		t.Error("DELETE faults kept some")
	}
	if code, out := callControl(t, url, http.MethodPost, "reset", ""); code != 200 || out["reset"] != true {
		t.Errorf("POST reset: %d %v", code, out)
	}
	if len(s.State().Repos) != before || len(s.Transitions()) != 0 {
		t.Errorf("after reset: %d repositories (want %d), %d transitions", len(s.State().Repos), before, len(s.Transitions()))
	}
	for _, c := range [][2]string{{http.MethodPost, "state"}, {http.MethodGet, "reset"}, {http.MethodPut, "faults"}, {http.MethodPatch, "instances/x"}, {http.MethodPost, "nothing"}} {
		if code, _ := callControl(t, url, c[0], c[1], ""); code != 404 {
			t.Errorf("%s %s: %d, want 404", c[0], c[1], code)
		}
	}
}

// customServer serves the built-in world's region and accounts with the
// instances and repositories given, from a data dir when dir is not empty.
func customServer(t *testing.T, dir string, log *slog.Logger, instances []string, repos []world.Repo) *Server {
	t.Helper()
	b, err := world.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	f := b.File()
	f.Repos = repos
	f.Instances = nil
	for _, id := range instances {
		f.Instances = append(f.Instances, world.InstanceRecord{ID: id, Account: b.Accounts[0].ID, Region: b.Region, Version: "7.10.0", Status: "active"})
	}
	w, err := world.FromFile("the test's world", &f)
	if err != nil {
		t.Fatal(err)
	}
	return startServer(t, Config{World: w, ControlToken: "ctl", DataDir: dir, Logger: log})
}

// Removing an instance takes the repositories it holds and those that
// reference it, in the store and in the world, and no other.
func TestRemovingAnInstanceTakesItsRepositoriesAndNoOther(t *testing.T) {
	const x, d1, d2, s1, s2 = "es-cn-x", "es-cn-d1", "es-cn-d2", "es-cn-s1", "es-cn-s2"
	repos := []world.Repo{{Instance: x, RepoPath: s1}, {Instance: d1, RepoPath: x}, {Instance: d2, RepoPath: x}, {Instance: d1, RepoPath: s2}}
	s := customServer(t, "", nil, []string{x, d1, d2, s1, s2}, repos)
	if removed, err := s.RemoveInstance(x); !removed || err != nil {
		t.Fatalf("RemoveInstance: %v %v", removed, err)
	}
	if s.w().Instance(x) != nil {
		t.Error("the removed instance is still in the world")
	}
	want := []world.Repo{{Instance: d1, RepoPath: s2}}
	if got := s.State().Repos; !slices.Equal(got, want) {
		t.Errorf("repositories after the removal: %v; want %v", got, want)
	}
	if got := s.w().File().Repos; !slices.Equal(got, want) {
		t.Errorf("the world's repositories after the removal: %v; want %v", got, want)
	}
	// Each instance of a world whose repositories all name the removed one
	// as a destination, then as a source, goes with its repositories.
	for _, repos := range [][]world.Repo{{{Instance: x, RepoPath: s1}}, {{Instance: d1, RepoPath: x}}} {
		s := customServer(t, "", nil, []string{x, d1, s1}, repos)
		if removed, err := s.RemoveInstance(x); !removed || err != nil {
			t.Errorf("RemoveInstance with %v: %v %v", repos, removed, err)
		}
		if got := s.w().File().Repos; len(got) != 0 {
			t.Errorf("the world's repositories after removing %s from %v: %v", x, repos, got)
		}
	}
}

// A removal whose repositories cannot be written says so, and leaves the
// instance where it was: there was one, and it is not gone.
func TestARemovalThatCannotBeWrittenKeepsTheInstance(t *testing.T) {
	const x, d1, s1 = "es-cn-x", "es-cn-d1", "es-cn-s1"
	for _, repos := range [][]world.Repo{{{Instance: d1, RepoPath: x}}, {{Instance: x, RepoPath: s1}}} {
		s := customServer(t, t.TempDir(), nil, []string{x, d1, s1}, repos)
		s.store.mu.Lock()
		s.store.journal.Close() // every write now fails
		s.store.mu.Unlock()
		removed, err := s.RemoveInstance(x)
		if !removed || !errors.Is(err, os.ErrClosed) {
			t.Errorf("RemoveInstance with %v and a journal that cannot be written: %v %v; want true and the write's error", repos, removed, err)
		}
		if s.w().Instance(x) == nil {
			t.Errorf("with %v: the instance is gone though its repositories could not be written", repos)
		}
		s.store.mu.Lock()
		s.store.journal = nil
		s.store.mu.Unlock()
	}
}

// Reset brings back the world's repository statuses, unavailable and
// available alike.
func TestResetBringsBackRepositoryStatuses(t *testing.T) {
	const d1, s1, s2 = "es-cn-d1", "es-cn-s1", "es-cn-s2"
	repos := []world.Repo{{Instance: d1, RepoPath: s1, Status: world.RepoUnavailable}, {Instance: d1, RepoPath: s2}}
	s := customServer(t, "", nil, []string{d1, s1, s2}, repos)
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	want := []world.Repo{{Instance: d1, RepoPath: s1, Status: world.RepoUnavailable}, {Instance: d1, RepoPath: s2}}
	if got := s.State().Repos; !slices.Equal(got, want) {
		t.Errorf("after Reset: %v; want %v", got, want)
	}
}

// A transition that is applied is logged as one, at Info.
func TestAnAppliedTransitionIsLogged(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	const d1 = "es-cn-d1"
	s := customServer(t, "", log, []string{d1}, nil)
	if _, err := s.AddTransition(d1, "inactive", 0); err != nil {
		t.Fatal(err)
	}
	s.applyDue()
	if got := s.w().Instance(d1).Status; got != "inactive" {
		t.Errorf("status after the transition: %q", got)
	}
	if text := logged.String(); !strings.Contains(text, "level=INFO msg=transition instance="+d1) || strings.Contains(text, "level=ERROR") {
		t.Errorf("log:\n%s\nwant the transition at INFO, no error", text)
	}
}

// A control call whose body cannot be read gets one answer, and changes
// nothing.
func TestAControlBodyThatCannotBeReadIsOneAnswer(t *testing.T) {
	const d1 = "es-cn-d1"
	s := customServer(t, "", nil, []string{d1}, nil)
	for _, c := range [][2]string{{http.MethodPut, "instances/" + d1}, {http.MethodPost, "faults"}, {http.MethodPost, "transitions"}} {
		req := httptest.NewRequest(c[0], ControlPrefix+c[1], iotest.ErrReader(errors.New("cut")))
		req.Header.Set("Authorization", "Bearer ctl")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); rec.Code != http.StatusBadRequest || err != nil || !strings.Contains(fmt.Sprint(out["error"]), "could not be read") {
			t.Errorf("%s %s with a body cut short: %d %s; want one 400 saying the body could not be read", c[0], c[1], rec.Code, rec.Body)
		}
	}
	if len(s.InjectedFaults()) != 0 || len(s.Transitions()) != 0 {
		t.Errorf("bodies that could not be read left faults %v, transitions %v", s.InjectedFaults(), s.Transitions())
	}
}
