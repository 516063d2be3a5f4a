package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/server"
)

var primary = acs.Credentials{AccessKeyID: primaryKey, AccessKeySecret: primarySecret}

func client(ts interface{ Close() }, url string, sig apiclient.Signature) *apiclient.Client {
	return apiclient.New(url, primary, sig, 5*time.Second)
}

func do(t testing.TB, c *apiclient.Client, r *apiclient.Request) *apiclient.Response {
	t.Helper()
	resp, err := c.Do(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// assertEnvelope checks an error answer: status, a JSON envelope with every
// field, and the code when one is wanted.
func assertEnvelope(t testing.TB, resp *apiclient.Response, status int, code string) {
	t.Helper()
	if resp.Status != status {
		t.Errorf("status %d, want %d\n%s", resp.Status, status, resp)
	}
	if !resp.JSON || resp.Code == "" || resp.Message == "" || resp.RequestID == "" {
		t.Errorf("not a full envelope:\n%s", resp)
	}
	if !bytes.Contains(resp.Body, []byte(`"HostId"`)) || !bytes.Contains(resp.Body, []byte(`"Recommend"`)) {
		t.Errorf("envelope lacks HostId or Recommend: %s", resp.Body)
	}
	if code != "" && resp.Code != code {
		t.Errorf("code %q, want %q\n%s", resp.Code, code, resp)
	}
	if resp.Header.Get("x-acs-request-id") != resp.RequestID {
		t.Errorf("x-acs-request-id %q, RequestId %q", resp.Header.Get("x-acs-request-id"), resp.RequestID)
	}
}

func TestCurrentSDKStyleRequestsSucceed(t *testing.T) {
	srv, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	resp := do(t, c, apiclient.AddJSON(dest710, src79))
	if resp.Status != 200 || !resp.ResultTrue() || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%s", resp)
	}
	if len(resp.RequestID) != 36 || strings.ToUpper(resp.RequestID) != resp.RequestID {
		t.Errorf("RequestId %q is not an upper-case UUID", resp.RequestID)
	}
	if got := srv.Repos(dest710); len(got) != 1 {
		t.Errorf("repos %v", got)
	}
	// The form body too, signed V1 as the classic SDK does.
	resp = do(t, c.With(primary, apiclient.SignV1), apiclient.AddForm(dest710, src74))
	if resp.Status != 200 || !resp.ResultTrue() {
		t.Fatalf("form body: %s", resp)
	}
}

func TestRefusalsByTheRules(t *testing.T) {
	srv, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	tests := []struct {
		name, dest, src, code string
	}{
		{"newer source", "es-cn-cf79src00000001", dest710, "SnapshotRepo.VersionNotSupport"},
		{"another region", dest710, "es-cn-cfbeijing0000001", "SnapshotRepo.RegionMismatch"},
		{"another account's source looks missing", dest710, "es-cn-cfneighbour000001", "SnapshotRepo.SourceNotFound"},
		{"missing source", dest710, "es-cn-nosuchsource0001", "SnapshotRepo.SourceNotFound"},
		{"itself", dest710, dest710, "SnapshotRepo.SameInstance"},
		{"6.7.0 kernel earlier", "es-cn-cf67k120a0000001", "es-cn-cf67k130a0000001", "SnapshotRepo.KernelNotSupport"},
		{"6.7.0 kernel unknown is refused, not guessed", "es-cn-cf67k130a0000001", "es-cn-cf67nokernel00001", "SnapshotRepo.KernelNotSupport"},
		{"inactive destination", "es-cn-cfinactive0000001", src74, "InstanceStatusNotSupportCurrentAction"},
		{"invalid destination", "es-cn-cfinvalid00000001", src74, "InstanceStatusNotSupportCurrentAction"},
		{"destination of another region", "es-cn-cfbeijing0000001", src74, "InstanceNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertEnvelope(t, do(t, c, apiclient.AddJSON(tt.dest, tt.src)), 400, tt.code)
			if got := srv.Repos(tt.dest); len(got) != 0 {
				t.Errorf("a refusal left %v behind", got)
			}
		})
	}
}

func TestAuthAnswers(t *testing.T) {
	srv, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	wrong := acs.Credentials{AccessKeyID: primaryKey, AccessKeySecret: "wrong"}
	tests := []struct {
		name   string
		c      *apiclient.Client
		req    *apiclient.Request
		status int
		code   string
	}{
		{"unsigned", c.With(primary, apiclient.Unsigned), apiclient.AddJSON(dest710, src74), 400, "MissingParameter"},
		{"unknown key", c.With(acs.Credentials{AccessKeyID: "LTAI5tNobody", AccessKeySecret: "x"}, apiclient.SignV3), apiclient.AddJSON(dest710, src74), 404, "InvalidAccessKeyId.NotFound"},
		{"wrong secret v3", c.With(wrong, apiclient.SignV3), apiclient.AddJSON(dest710, src74), 400, "SignatureDoesNotMatch"},
		{"wrong secret v1", c.With(wrong, apiclient.SignV1), apiclient.AddForm(dest710, src74), 400, "SignatureDoesNotMatch"},
		{"stale date", c, func() *apiclient.Request {
			r := apiclient.AddJSON(dest710, src74)
			r.At = time.Now().Add(-20 * time.Minute)
			return r
		}(), 400, "InvalidTimeStamp.Expired"},
		{"body swapped after signing", c, func() *apiclient.Request {
			r := apiclient.AddJSON(dest710, src74)
			r.Edit = func(h *http.Request) { h.Header.Set(acs.HeaderContentSHA256, acs.HashHex([]byte("{}"))) }
			return r
		}(), 400, "InvalidParameter.ContentSha256"},
		{"another account's destination is not found", c, apiclient.AddJSON("es-cn-cfneighbour000001", src74), 400, "InstanceNotFound"},
		{"another account's instance cannot be described", c, apiclient.Describe("es-cn-cfneighbour000001"), 400, "InstanceNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertEnvelope(t, do(t, tt.c, tt.req), tt.status, tt.code)
			if got := srv.Repos(dest710); len(got) != 0 {
				t.Errorf("a refused request created %v", got)
			}
		})
	}
	t.Run("reused nonce", func(t *testing.T) {
		r := apiclient.List(dest710)
		r.Nonce = "replayed-nonce"
		if resp := do(t, c, r); resp.Status != 200 {
			t.Fatalf("first use: %s", resp)
		}
		assertEnvelope(t, do(t, c, r), 400, "SignatureNonceUsed")
	})
	t.Run("the neighbour sees its own instance", func(t *testing.T) {
		n := c.With(acs.Credentials{AccessKeyID: "LTAI5tConformNeighbour1", AccessKeySecret: "conform-neighbour-secret-01"}, apiclient.SignV3)
		if resp := do(t, n, apiclient.Describe("es-cn-cfneighbour000001")); resp.Status != 200 {
			t.Errorf("%s", resp)
		}
	})
}

func TestAuthOffServesUnsignedRequests(t *testing.T) {
	srv, ts := start(t, server.Options{NoAuth: true})
	resp := do(t, client(ts, ts.URL, apiclient.Unsigned), apiclient.AddJSON(dest710, src74))
	if resp.Status != 200 || len(srv.Repos(dest710)) != 1 {
		t.Errorf("%s", resp)
	}
}

func TestHostileInputGetsA4xxEnvelope(t *testing.T) {
	srv, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	add := func(edit func(*apiclient.Request)) *apiclient.Request {
		r := apiclient.AddJSON(dest710, src74)
		edit(r)
		return r
	}
	tests := []struct {
		name   string
		req    *apiclient.Request
		status int
		code   string
	}{
		{"10 MiB body", add(func(r *apiclient.Request) { r.Body = bytes.Repeat([]byte("a"), 10<<20) }), 413, "RequestEntityTooLarge"},
		{"body just over 1 MiB", add(func(r *apiclient.Request) { r.Body = bytes.Repeat([]byte(" "), 1<<20+1) }), 413, "RequestEntityTooLarge"},
		{"text/plain body", add(func(r *apiclient.Request) { r.ContentType = "text/plain" }), 415, "UnsupportedMediaType"},
		{"malformed content type", add(func(r *apiclient.Request) { r.ContentType = "application/json; ===" }), 415, "UnsupportedMediaType"},
		{"invalid JSON", add(func(r *apiclient.Request) { r.Body = []byte(`{"repoPath":`) }), 400, "InvalidParameter"},
		{"JSON array", add(func(r *apiclient.Request) { r.Body = []byte(`["es-cn-x"]`) }), 400, "InvalidParameter"},
		{"repoPath a number", add(func(r *apiclient.Request) { r.Body = []byte(`{"repoPath":42}`) }), 400, "InvalidParameter"},
		{"repoPath null", add(func(r *apiclient.Request) { r.Body = []byte(`{"repoPath":null}`) }), 400, "MissingRepoPath"},
		{"repoPath empty", add(func(r *apiclient.Request) { r.Body = []byte(`{"repoPath":""}`) }), 400, "InvalidParameter"},
		{"no repoPath", add(func(r *apiclient.Request) { r.Body = []byte(`{"path":"es-cn-x"}`) }), 400, "MissingRepoPath"},
		{"empty body", add(func(r *apiclient.Request) { r.Body = nil }), 400, "InvalidParameter"},
		{"form without body field", add(func(r *apiclient.Request) {
			r.ContentType, r.Body = "application/x-www-form-urlencoded", []byte("repoPath=es-cn-x")
		}), 400, "InvalidParameter"},
		{"non-UTF-8 repoPath", add(func(r *apiclient.Request) { r.Body = []byte("{\"repoPath\":\"es-\xff\xfe\"}") }), 400, "SnapshotRepo.SourceNotFound"},
		{"destination ..", add(func(r *apiclient.Request) { r.Path = "/openapi/instances/../snapshot-repos" }), 400, "InstanceNotFound"},
		{"destination with %2F", add(func(r *apiclient.Request) { r.Path = "/openapi/instances/es-cn%2F..%2Fx/snapshot-repos" }), 400, "InstanceNotFound"},
		{"destination with NUL", add(func(r *apiclient.Request) { r.Path = apiclient.InstancePath("es-cn\x00x", "snapshot-repos") }), 400, "InstanceNotFound"},
		{"destination of 4 KiB", add(func(r *apiclient.Request) {
			r.Path = apiclient.InstancePath(strings.Repeat("x", 4096), "snapshot-repos")
		}), 400, "InstanceNotFound"},
		{"non-UTF-8 destination", add(func(r *apiclient.Request) { r.Path = "/openapi/instances/es-%FF%FE/snapshot-repos" }), 400, "InstanceNotFound"},
		{"unknown route", add(func(r *apiclient.Request) { r.Path = "/openapi/nothing-here" }), 404, "InvalidAction.NotFound"},
		{"unknown method", add(func(r *apiclient.Request) { r.Method = http.MethodPut }), 404, "InvalidAction.NotFound"},
		{"delete without repoPath", &apiclient.Request{Method: "DELETE", Path: apiclient.InstancePath(dest710, "snapshot-repos")}, 400, "MissingRepoPath"},
		{"alternatives with a bad flag", &apiclient.Request{Method: "GET", Path: apiclient.InstancePath(dest710, "alternative-snapshot-repos"), Query: map[string][]string{"alreadySetItems": {"maybe"}}}, 400, "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertEnvelope(t, do(t, c, tt.req), tt.status, tt.code)
		})
	}
	if resp := do(t, c, apiclient.AddJSON(dest710, src74)); resp.Status != 200 {
		t.Errorf("the endpoint stopped serving after hostile input: %s", resp)
	}
	if got := srv.Repos(dest710); len(got) != 1 {
		t.Errorf("repos %v, want the one good add", got)
	}
}

func TestConcurrentIdenticalAddsLeaveOneEntry(t *testing.T) {
	srv, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	var wg sync.WaitGroup
	statuses := make([]int, 32)
	for i := range 32 {
		wg.Go(func() {
			resp, err := c.Do(context.Background(), apiclient.AddJSON(dest710, src79))
			if err == nil {
				statuses[i] = resp.Status
			}
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("add %d: status %d", i, s)
		}
	}
	if got := srv.Repos(dest710); len(got) != 1 {
		t.Errorf("32 concurrent adds left %v", got)
	}
}

func TestDataDirKeepsRepositoriesAcrossARestart(t *testing.T) {
	dir := t.TempDir()
	first, ts := start(t, server.Options{DataDir: dir})
	c := client(ts, ts.URL, apiclient.SignV3)
	if resp := do(t, c, apiclient.AddJSON(dest710, src79)); resp.Status != 200 {
		t.Fatal(resp)
	}
	ts.Close()
	first.Close()
	again, _ := start(t, server.Options{DataDir: dir})
	if got := again.Repos(dest710); len(got) != 1 || got[0] != src79 {
		t.Errorf("after restart: %v", got)
	}
	// The world's own repos are there too, once.
	if got := again.Repos("es-cn-cf813dest0000001"); len(got) != 1 {
		t.Errorf("world repos after restart: %v", got)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if len(leftovers) != 0 {
		t.Errorf("temp files left: %v", leftovers)
	}
}

func TestCorruptStateFileIsRefusedAndKept(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "repos.json")
	corrupt := []byte(`{"format":"conform-repos/1","repos":[{"instance":`)
	os.WriteFile(path, corrupt, 0o644)
	_, err := server.New(server.Options{World: builtin(t), DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("err = %v", err)
	}
	if data, _ := os.ReadFile(path); !bytes.Equal(data, corrupt) {
		t.Error("the corrupt state file was changed")
	}
}

func TestListInstancePagesTheCallersInstancesOfTheRegion(t *testing.T) {
	_, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	seen := map[string]bool{}
	total := -1
	for page := 1; page <= 4; page++ {
		resp := do(t, c, &apiclient.Request{Action: "ListInstance", Method: "GET", Path: "/openapi/instances",
			Query: map[string][]string{"page": {strconv.Itoa(page)}, "size": {"5"}}})
		var body struct {
			Headers struct {
				XTotalCount int `json:"X-Total-Count"`
			} `json:"Headers"`
			Result []struct {
				InstanceID string `json:"instanceId"`
				EsVersion  string `json:"esVersion"`
			} `json:"Result"`
		}
		if resp.Status != 200 || json.Unmarshal(resp.Body, &body) != nil {
			t.Fatalf("page %d: %s", page, resp)
		}
		total = body.Headers.XTotalCount
		if len(body.Result) > 5 {
			t.Errorf("page %d has %d instances, size 5", page, len(body.Result))
		}
		for _, in := range body.Result {
			if seen[in.InstanceID] {
				t.Errorf("%s on two pages", in.InstanceID)
			}
			seen[in.InstanceID] = true
		}
	}
	// The built-in world's instances of the caller in its region: not the
	// neighbour's, not cn-beijing's.
	w := builtin(t)
	mine := 0
	for _, in := range w.Instances {
		if in.Account == w.Accounts[0].ID && in.Region == w.Region {
			mine++
		}
	}
	if mine < 10 || mine > 20 {
		t.Fatalf("the built-in world has %d instances of the caller in its region: the 4 pages of 5 above need 10 to 20", mine)
	}
	if total != mine || len(seen) != mine || seen["es-cn-cfneighbour000001"] || seen["es-cn-cfbeijing0000001"] {
		t.Errorf("total %d, seen %d: %v", total, len(seen), seen)
	}
	bad := do(t, c, &apiclient.Request{Method: "GET", Path: "/openapi/instances", Query: map[string][]string{"size": {"1000"}}})
	assertEnvelope(t, bad, 400, "InvalidParameter")
}
