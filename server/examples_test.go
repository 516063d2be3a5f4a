package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/contract"
	"github.com/snaprepo/conform/server"
	"github.com/snaprepo/conform/world"
)

// unmask turns the reference's masked IDs (es-cn-n6w1o1x0w001c****) into
// IDs a world may hold.
var unmask = strings.NewReplacer("****", "0000")

// exampleWorld holds the instances the reference's examples name: the
// destination es-cn-n6w1o1x0w001c****, 6.7.0 on kernel 1.3.0 as its
// DescribeInstance example says, and the source es-cn-4591jumei000u****.
func exampleWorld(t *testing.T) *world.World {
	t.Helper()
	w, err := world.Parse("examples.yaml", []byte(`
region: cn-hangzhou
accounts:
  - id: "1638000000000001"
    accessKeys: [{id: LTAI5tConformPrimary01, secret: conform-primary-secret-01}]
instances:
  - {id: es-cn-n6w1o1x0w001c0000, account: "1638000000000001", region: cn-hangzhou, version: 6.7.0_with_X-Pack, kernel: "1.3.0", status: active}
  - {id: es-cn-4591jumei000u0000, account: "1638000000000001", region: cn-hangzhou, version: 6.3_with_X-Pack, status: active}
`))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// varies are fields whose value is the answerer's own (an ID of the
// request, the host, a count): their type is compared, not their value.
var varies = []string{"RequestId", "HostId", "Recommend", "resourceGroupId", "localName", "X-Total-Count"}

// sameShape reports how got differs from the example want: a field of
// either missing from the other (an envelope may add Recommend and HostId,
// which the platform sends), a type that differs, or a value that differs
// outside varies. Arrays are compared by their first element.
func sameShape(where string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, got %T", where, got)}
		}
		var diffs []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing", where, k))
				continue
			}
			if slices.Contains(varies, k) {
				if fmt.Sprintf("%T", wv) != fmt.Sprintf("%T", gv) {
					diffs = append(diffs, fmt.Sprintf("%s.%s: want a %T, got %T", where, k, wv, gv))
				}
				continue
			}
			diffs = append(diffs, sameShape(where+"."+k, wv, gv)...)
		}
		for k := range g {
			if _, ok := w[k]; !ok && k != "Recommend" && k != "HostId" {
				diffs = append(diffs, fmt.Sprintf("%s.%s: sent, but not in the reference's example", where, k))
			}
		}
		return diffs
	case []any:
		g, ok := got.([]any)
		switch {
		case !ok:
			return []string{fmt.Sprintf("%s: want an array, got %T", where, got)}
		case len(w) == 0:
			return nil
		case len(g) == 0:
			return []string{fmt.Sprintf("%s: empty, the example has items", where)}
		}
		return sameShape(where+"[0]", w[0], g[0])
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			return []string{fmt.Sprintf("%s: want %v, got %v", where, want, got)}
		}
	}
	return nil
}

// The reference pages' own sample exchanges, replayed in the ledger's
// order against conform serve: each answer has the example's status, its
// fields with their types, and its values where they are not the
// answerer's own.
func TestTheReferencesExamplesReplay(t *testing.T) {
	l, err := contract.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Examples) < 8 {
		t.Fatalf("the ledger has %d examples", len(l.Examples))
	}
	now := time.Now()
	_, ts := start(t, server.Options{World: exampleWorld(t), Now: func() time.Time { return now }})
	ops := map[string]bool{}
	for _, e := range l.Examples {
		ops[e.Operation] = true
		op := l.Operation(e.Operation)
		c := client(ts, ts.URL, apiclient.SignV3)
		if e.Signed == "stale" {
			c.Now = func() time.Time { return now.Add(-20 * time.Minute) }
		}
		r := &apiclient.Request{Action: op.Name, Method: op.Method, Path: unmask.Replace(e.Request.Path)}
		if len(e.Request.Query) > 0 {
			r.Query = url.Values{}
			for k, v := range e.Request.Query {
				r.Query.Set(k, unmask.Replace(v))
			}
		}
		if e.Request.Body != "" {
			r.ContentType, r.Body = "application/json", []byte(unmask.Replace(e.Request.Body))
		}
		resp := do(t, c, r)
		if resp.Status != e.Answer.Status {
			t.Errorf("%s: status %d, the example's %d: %s", e.Name, resp.Status, e.Answer.Status, resp)
			continue
		}
		var want, got any
		if err := json.Unmarshal([]byte(unmask.Replace(e.Answer.Body)), &want); err != nil {
			t.Fatalf("%s: the example's body: %v", e.Name, err)
		}
		if err := json.Unmarshal(resp.Body, &got); err != nil {
			t.Errorf("%s: the answer is not JSON: %v", e.Name, err)
			continue
		}
		for _, d := range sameShape("answer", want, got) {
			t.Errorf("%s: %s\n%s", e.Name, d, resp.Body)
		}
	}
	for _, op := range l.Operations {
		if !ops[op.Name] {
			t.Errorf("operation %s has no example in the ledger", op.Name)
		}
	}
}

// The suite's readers read the reference's own answers: apiclient parses
// every example (envelope fields, Result, repository items) as the suite
// does, served over HTTP as the platform would send them.
func TestTheSuitesReadersReadTheReferencesExamples(t *testing.T) {
	l, err := contract.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Examples {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(e.Answer.Status)
			w.Write([]byte(e.Answer.Body))
		}))
		c := apiclient.New(ts.URL, acs.Credentials{AccessKeyID: "k", AccessKeySecret: "s"}, apiclient.SignV3, 5*time.Second)
		resp, err := c.Do(context.Background(), &apiclient.Request{Method: l.Operation(e.Operation).Method, Path: e.Request.Path})
		ts.Close()
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		if !resp.JSON || resp.RequestID == "" {
			t.Errorf("%s: the suite read no envelope (JSON %v, RequestId %q)", e.Name, resp.JSON, resp.RequestID)
		}
		switch {
		case e.Answer.Status != 200:
			var env struct{ Code, Message string }
			json.Unmarshal([]byte(e.Answer.Body), &env)
			if resp.Code != env.Code || resp.Message != env.Message {
				t.Errorf("%s: read Code %q Message %q", e.Name, resp.Code, resp.Message)
			}
		case e.Operation == "AddSnapshotRepo" || e.Operation == "DeleteSnapshotRepo":
			if !resp.ResultTrue() || resp.ResultFalse() {
				t.Errorf("%s: Result read as %s", e.Name, resp.Result)
			}
		case e.Operation == "ListSnapshotReposByInstanceId" || e.Operation == "ListAlternativeSnapshotRepos":
			repos, err := resp.Repos()
			if err != nil || len(repos) != 1 || repos[0].RepoPath != "es-cn-4591jumei000u****" || repos[0].InstanceID == "" {
				t.Errorf("%s: repositories read as %+v, %v", e.Name, repos, err)
			}
			if e.Operation == "ListSnapshotReposByInstanceId" && (repos[0].Status != "available" || repos[0].SnapWarehouse != "aliyun_snapshot_from_es-cn-4591jumei000u****") {
				t.Errorf("%s: item read as %+v", e.Name, repos[0])
			}
		}
	}
}
