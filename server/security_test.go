package server_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/server"
	"github.com/snaprepo/conform/world"
)

var neighbour = acs.Credentials{AccessKeyID: "LTAI5tConformNeighbour1", AccessKeySecret: "conform-neighbour-secret-01"}

// Another account fills its share of the nonce cache: its own new signed
// requests get 400 Throttling.User until its nonces expire, while this
// account's go on being answered (the capacity is per AccessKey, so one
// tenant cannot shut out another), and the captured add of this account,
// replayed after its repository was deleted, is still refused.
func TestAFloodThrottlesOnlyTheKeyThatFloods(t *testing.T) {
	srv, ts := start(t, server.Options{NonceCapacity: 16})
	c := client(ts, ts.URL, apiclient.SignV3)
	captured := apiclient.AddJSON(dest710, src74)
	captured.Nonce = "captured-" + acs.NewNonce()
	captured.At = time.Now()
	if resp := do(t, c, captured); resp.Status != 200 {
		t.Fatalf("the original add: %s", resp)
	}
	n := c.With(neighbour, apiclient.SignV3)
	n.ThrottleRetries = 0 // the throttles are what this test counts
	throttled := 0
	for range 20 {
		resp := do(t, n, apiclient.Describe("es-cn-cfneighbour000001"))
		if resp.Code == "Throttling.User" {
			assertEnvelope(t, resp, 400, "Throttling.User")
			throttled++
		}
	}
	if throttled != 20-16 {
		t.Fatalf("20 signed requests into a share of 16: %d throttled, want 4", throttled)
	}
	if resp := do(t, c, apiclient.Delete(dest710, src74)); resp.Status != 200 {
		t.Fatalf("another key's flood refused this key's delete: %s", resp)
	}
	replay := do(t, c, captured)
	if replay.Status == 200 {
		t.Fatalf("the captured add was accepted again after the flood:\n%s", replay)
	}
	if replay.Code != "SignatureNonceUsed" {
		t.Errorf("replay answered %s, want SignatureNonceUsed", replay.Code)
	}
	if got := srv.Repos(dest710); len(got) != 0 {
		t.Errorf("repositories %v, want none: deleted, and the replay refused", got)
	}
}

func TestANonceLongerThan64IsRefused(t *testing.T) {
	_, ts := start(t, server.Options{})
	for _, sig := range []apiclient.Signature{apiclient.SignV3, apiclient.SignV1} {
		r := apiclient.List(dest710)
		r.Nonce = strings.Repeat("n", 65)
		assertEnvelope(t, do(t, client(ts, ts.URL, sig), r), 400, "InvalidParameter.SignatureNonce")
		r.Nonce = strings.Repeat(string(sig[1]), 64)
		if resp := do(t, client(ts, ts.URL, sig), r); resp.Status != 200 {
			t.Errorf("%s: a 64-character nonce: %s", sig, resp)
		}
	}
}

func TestAmbiguousBodiesAreRefused(t *testing.T) {
	srv, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	for name, body := range map[string]string{
		"a key that is repoPath only case-insensitively": `{"repoPath":"x","REPOPATH":"` + src74 + `"}`,
		"repoPath alone in another case":                 `{"RepoPath":"` + src74 + `"}`,
		"repoPath twice":                                 `{"repoPath":"x","repoPath":"` + src74 + `"}`,
		"another key twice":                              `{"repoPath":"` + src74 + `","a":1,"a":2}`,
	} {
		t.Run(name, func(t *testing.T) {
			r := apiclient.AddJSON(dest710, src74)
			r.Body = []byte(body)
			assertEnvelope(t, do(t, c, r), 400, "InvalidParameter.AmbiguousBody")
			if got := srv.Repos(dest710); len(got) != 0 {
				t.Errorf("created %v", got)
			}
		})
	}
	for name, body := range map[string]string{
		"trailing garbage": `{"repoPath":"` + src74 + `"} x`,
		"two objects":      `{"repoPath":"` + src74 + `"}{"repoPath":"x"}`,
	} {
		r := apiclient.AddJSON(dest710, src74)
		r.Body = []byte(body)
		if resp := do(t, c, r); resp.Status != 400 || resp.Code != "InvalidParameter" {
			t.Errorf("%s: %s", name, resp)
		}
	}
	r := apiclient.AddJSON(dest710, src74)
	r.Body = []byte(`{"other":{"repoPath":"nested","x":[1,{"y":2}]},"repoPath":"` + src74 + `"}`)
	if resp := do(t, c, r); resp.Status != 200 {
		t.Errorf("a body with other keys: %s", resp)
	}
}

func TestLeftoverTemporaryStateFilesAreRemovedAtStart(t *testing.T) {
	dir := t.TempDir()
	leftover := filepath.Join(dir, "repos.json.123456.tmp")
	other := filepath.Join(dir, "notes.txt")
	for _, f := range []string{leftover, other} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start(t, server.Options{DataDir: dir})
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("%s survived the start: %v", leftover, err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file that is not a leftover was touched: %v", err)
	}
}

// ListInstance costs a page, not the account's whole list: the allocations
// of one page are the same for 100 and for 100,000 instances.
func TestListInstanceCostsAPageNotTheAccount(t *testing.T) {
	allocs := func(perGroup int) float64 {
		f := world.Synthetic(1, 1, perGroup, 7)
		w, err := world.FromFile("synthetic", f)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := server.New(server.Options{World: w, NoAuth: true})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/openapi/instances?page=3&size=10", nil)
		req.Header.Set("Authorization", "acs "+f.Accounts[0].AccessKeys[0].ID+":x")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"X-Total-Count":`+strconv.Itoa(perGroup)) {
			t.Fatalf("%d instances: %d %s", perGroup, rec.Code, rec.Body.String()[:min(200, rec.Body.Len())])
		}
		return testing.AllocsPerRun(20, func() {
			srv.ServeHTTP(httptest.NewRecorder(), req)
		})
	}
	small, large := allocs(100), allocs(100_000)
	if large > small*1.2+5 {
		t.Errorf("a page of ListInstance: %.0f allocations with 100 instances, %.0f with 100,000", small, large)
	}
}

func BenchmarkListInstancePageOf1M(b *testing.B) {
	f := world.Synthetic(1, 1, 1_000_000, 7)
	w, err := world.FromFile("synthetic", f)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(server.Options{World: w, NoAuth: true})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/openapi/instances?page=500&size=10", nil)
	req.Header.Set("Authorization", "acs "+f.Accounts[0].AccessKeys[0].ID+":x")
	b.ReportAllocs()
	for b.Loop() {
		srv.ServeHTTP(httptest.NewRecorder(), req)
	}
}
