package refserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/snaprepo/conform/world"
)

// callControl sends one control API call and returns the status and the
// decoded JSON answer.
func callControl(t *testing.T, url, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url+ControlPrefix+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer ctl")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: not JSON: %s", method, path, b)
	}
	return resp.StatusCode, out
}

func controlServer(t *testing.T) (*Server, string) {
	t.Helper()
	w, err := world.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{World: w, ControlToken: "ctl"})
	if err != nil {
		t.Fatal(err)
	}
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
	if _, ok := s.takeInjected("DescribeInstance"); ok {
		t.Error("DescribeInstance took AddSnapshotRepo's fault")
	}
	if f, ok := s.takeInjected("AddSnapshotRepo"); !ok || f.Status != 503 {
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
