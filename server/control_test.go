package server_test

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/internal/controltest"
	"github.com/snaprepo/conform/server"
)

// ctl calls the control API over HTTP and decodes the JSON answer.
func ctl(t *testing.T, base, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	return controltest.Call(t, base+server.ControlPrefix, token, method, path, body)
}

func TestTheControlAPIIsOffWithoutAToken(t *testing.T) {
	_, ts := start(t, server.Options{})
	resp := do(t, client(ts, ts.URL, apiclient.SignV3), &apiclient.Request{Method: "GET", Path: "/_conform/state"})
	assertEnvelope(t, resp, 404, "InvalidAction.NotFound")
}

func TestTheControlAPIWantsTheToken(t *testing.T) {
	_, ts := start(t, server.Options{ControlToken: "s3cret"})
	for _, token := range []string{"", "wrong", "s3cre", "s3cretx", "S3CRET"} {
		if code, out := ctl(t, ts.URL, token, "GET", "state", ""); code != 401 || !strings.Contains(out["error"].(string), "Bearer") {
			t.Errorf("token %q: %d %v", token, code, out)
		}
	}
	if code, _ := ctl(t, ts.URL, "s3cret", "GET", "state", ""); code != 200 {
		t.Errorf("the right token: %d", code)
	}
}

// State, instances, transitions, faults and reset over HTTP, as a team's
// CI (any language) drives them.
func TestTheControlAPIOverHTTP(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	srv, ts := start(t, server.Options{ControlToken: "tok", Now: clock, NoAuth: true})
	c := client(ts, ts.URL, apiclient.Unsigned)

	code, state := ctl(t, ts.URL, "tok", "GET", "state", "")
	if code != 200 || len(state["instances"].([]any)) < 10 {
		t.Fatalf("state: %d %v", code, state)
	}
	// An instance changed and one added, validated like a world file.
	if code, out := ctl(t, ts.URL, "tok", "PUT", "instances/"+dest710, `{"status": "activating"}`); code != 200 {
		t.Fatalf("PUT status: %d %v", code, out)
	}
	assertEnvelope(t, do(t, c, apiclient.AddJSON(dest710, src74)), 400, "InstanceActivating")
	if code, out := ctl(t, ts.URL, "tok", "PUT", "instances/es-cn-ctlnew000000001", `{"account": "1638000000000001", "region": "cn-hangzhou", "version": "7.10.0_with_X-Pack"}`); code != 200 {
		t.Fatalf("PUT a new instance: %d %v", code, out)
	}
	if resp := do(t, c, apiclient.AddJSON("es-cn-ctlnew000000001", src74)); !resp.ResultTrue() {
		t.Errorf("add to the new instance: %s", resp)
	}
	for body, says := range map[string]string{
		`{"status": "sleeping"}`:  "sleeping",
		`{"version": "seven"}`:    "seven",
		`{"colour": "red"}`:       "unknown field",
		`{"status": `:             "not what",
		strings.Repeat("[", 1000): "nested deeper",
	} {
		if code, out := ctl(t, ts.URL, "tok", "PUT", "instances/"+dest710, body); code != 400 || !strings.Contains(out["error"].(string), says) {
			t.Errorf("PUT %.40s: %d %v, want 400 saying %q", body, code, out, says)
		}
	}
	// A transition on the server's clock.
	if code, out := ctl(t, ts.URL, "tok", "POST", "transitions", `{"instance": "`+dest710+`", "status": "active", "after": "5s"}`); code != 201 {
		t.Fatalf("POST transitions: %d %v", code, out)
	}
	assertEnvelope(t, do(t, c, apiclient.AddJSON(dest710, src74)), 400, "InstanceActivating")
	now = now.Add(5 * time.Second)
	if resp := do(t, c, apiclient.AddJSON(dest710, src74)); !resp.ResultTrue() {
		t.Errorf("after the transition: %s", resp)
	}
	// Faults: the next two adds get 503, the third is served.
	if code, out := ctl(t, ts.URL, "tok", "POST", "faults", `{"action": "AddSnapshotRepo", "status": 503, "code": "ServiceUnavailable", "message": "try later", "times": 2}`); code != 201 {
		t.Fatalf("POST faults: %d %v", code, out)
	}
	if _, out := ctl(t, ts.URL, "tok", "GET", "faults", ""); len(out["faults"].([]any)) != 1 {
		t.Errorf("GET faults: %v", out)
	}
	for range 2 {
		resp := do(t, c, apiclient.AddJSON(dest710, src79))
		if resp.Status != 503 || resp.Code != "ServiceUnavailable" || resp.Message != "try later" || resp.RequestID == "" {
			t.Errorf("injected: %s", resp)
		}
	}
	if resp := do(t, c, apiclient.List(dest710)); resp.Status != 200 {
		t.Errorf("a list is not an add: %s", resp)
	}
	if resp := do(t, c, apiclient.AddJSON(dest710, src79)); !resp.ResultTrue() {
		t.Errorf("the third add: %s", resp)
	}
	for _, bad := range []string{`{"action": "Nope", "status": 503, "code": "X"}`, `{"status": 200, "code": "X"}`, `{"status": 503}`, `{"delay": "6m"}`, `{}`, `{"delay": "soon"}`} {
		if code, out := ctl(t, ts.URL, "tok", "POST", "faults", bad); code != 400 {
			t.Errorf("POST faults %s: %d %v", bad, code, out)
		}
	}
	// Reset: the world's repositories and statuses, no faults.
	ctl(t, ts.URL, "tok", "POST", "faults", `{"status": 500, "code": "InternalError", "times": 9}`)
	if code, _ := ctl(t, ts.URL, "tok", "POST", "reset", ""); code != 200 {
		t.Fatalf("reset: %d", code)
	}
	if got := srv.Repos(dest710); len(got) != 0 {
		t.Errorf("repos after reset: %v", got)
	}
	if resp := do(t, c, apiclient.AddJSON("es-cn-ctlnew000000001", src74)); resp.Code != "InstanceNotFound" {
		t.Errorf("the added instance survived the reset: %s", resp)
	}
	if _, out := ctl(t, ts.URL, "tok", "GET", "faults", ""); len(out["faults"].([]any)) != 0 {
		t.Errorf("faults after reset: %v", out)
	}
	if code, _ := ctl(t, ts.URL, "tok", "GET", "nothing", ""); code != 404 {
		t.Errorf("an unknown control path: %d", code)
	}
	big := bytes.Repeat([]byte("x"), 70<<10)
	if code, _ := ctl(t, ts.URL, "tok", "PUT", "instances/"+dest710, string(big)); code != 413 {
		t.Errorf("a 70 KiB control body: %d", code)
	}
}

// With a data dir, reset persists the world's repositories, and the
// control API's instance changes are not written: the data dir keeps only
// what the API itself writes.
func TestResetPersistsOnlyWhatTheAPIWrites(t *testing.T) {
	dir := t.TempDir()
	srv, ts := start(t, server.Options{ControlToken: "tok", NoAuth: true, DataDir: dir})
	c := client(ts, ts.URL, apiclient.Unsigned)
	do(t, c, apiclient.AddJSON(dest710, src74))
	ctl(t, ts.URL, "tok", "PUT", "instances/"+dest710, `{"status": "inactive"}`)
	srv.Close()
	again, err := server.New(server.Options{World: builtin(t), NoAuth: true, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Repos(dest710); len(got) != 1 {
		t.Errorf("the API's add was not kept: %v", got)
	}
	if st := again.State(); st.Instances[0].Status == "inactive" {
		t.Errorf("a control change was written to the data dir")
	}
	if err := again.Reset(); err != nil {
		t.Fatal(err)
	}
	again.Close()
	again, err = server.New(server.Options{World: builtin(t), NoAuth: true, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got := again.Repos(dest710); len(got) != 0 {
		t.Errorf("after reset the data dir holds %v", got)
	}
}

// A delay asked for outlasts the listener's read and write timeouts (which
// guard against slow clients): the delayed request is answered, not cut.
func TestAnInjectedDelayOutlastsTheListenersTimeouts(t *testing.T) {
	srv, err := server.New(server.Options{World: builtin(t), ControlToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := server.HTTPServer("", srv)
	hs.ReadTimeout, hs.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond
	ts := httptest.NewUnstartedServer(srv)
	ts.Config = hs
	ts.Start()
	defer ts.Close()
	if code, out := ctl(t, ts.URL, "tok", "POST", "faults", `{"action": "DescribeInstance", "delay": "700ms", "times": 1}`); code != 201 {
		t.Fatalf("POST faults: %d %v", code, out)
	}
	start := time.Now()
	resp := do(t, client(ts, ts.URL, apiclient.SignV3), apiclient.Describe(dest710))
	if resp.Status != 200 || time.Since(start) < 700*time.Millisecond {
		t.Errorf("after %s: %s; want the answer after the 700ms delay", time.Since(start).Round(time.Millisecond), resp)
	}
}
