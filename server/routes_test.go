package server_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/server"
	"github.com/snaprepo/conform/world"
)

// Every method and path that is not an operation gets 404 with an
// envelope; every operation is reached by its own method only.
func TestOnlyTheOperationsAreRouted(t *testing.T) {
	_, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/openapi/regions", 200},
		{"GET", "/openapi/instances", 200},
		{"GET", "/openapi/instances/" + dest710, 200},
		{"GET", "/openapi/instances/" + dest710 + "/snapshot-repos", 200},
		{"GET", "/openapi/instances/" + dest710 + "/alternative-snapshot-repos", 200},
		{"POST", "/openapi/regions", 404},
		{"DELETE", "/openapi/instances", 404},
		{"POST", "/openapi/instances/" + dest710, 404},
		{"PUT", "/openapi/instances/" + dest710 + "/snapshot-repos", 404},
		{"POST", "/openapi/instances/" + dest710 + "/alternative-snapshot-repos", 404},
		{"GET", "/openapi/instances/" + dest710 + "/snapshot-repos/extra", 404},
		{"GET", "/openapi/instances/" + dest710 + "/other", 404},
		{"GET", "/openapi/nothing", 404},
		{"GET", "/other/instances", 404},
		{"GET", "/openapi", 404},
		{"GET", "/", 404},
	} {
		resp := do(t, c, &apiclient.Request{Method: tt.method, Path: tt.path})
		if tt.status == 200 {
			if resp.Status != 200 {
				t.Errorf("%s %s: %s", tt.method, tt.path, resp)
			}
			continue
		}
		assertEnvelope(t, resp, 404, "InvalidAction.NotFound")
	}
}

func TestListInstanceRefusesPagesOutOfRange(t *testing.T) {
	_, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	for _, q := range []url.Values{{"page": {"0"}}, {"size": {"0"}}, {"size": {"101"}}, {"page": {"x"}}, {"page": {"1048577"}}} {
		assertEnvelope(t, do(t, c, &apiclient.Request{Method: "GET", Path: "/openapi/instances", Query: q}), 400, "InvalidParameter")
	}
	for _, q := range []url.Values{{"page": {"1"}, "size": {"1"}}, {"size": {"100"}}, {"page": {"1048576"}}} {
		if resp := do(t, c, &apiclient.Request{Method: "GET", Path: "/openapi/instances", Query: q}); resp.Status != 200 {
			t.Errorf("%v: %s", q, resp)
		}
	}
}

func TestDescribeRegionsListsEachRegionOnce(t *testing.T) {
	_, ts := start(t, server.Options{})
	resp := do(t, client(ts, ts.URL, apiclient.SignV3), &apiclient.Request{Method: "GET", Path: "/openapi/regions"})
	var body struct {
		Result []struct {
			RegionID string `json:"regionId"`
		} `json:"Result"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range body.Result {
		ids = append(ids, r.RegionID)
	}
	if strings.Join(ids, ",") != "cn-hangzhou,cn-beijing" {
		t.Errorf("regions %v, want cn-hangzhou and cn-beijing once each", ids)
	}
}

// The SDK models: alreadySetItems is optional and "true (default): returns
// the already added repositories; false: does not return them".
func TestAlternativesOfferReferencedSourcesByDefault(t *testing.T) {
	_, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	if resp := do(t, c, apiclient.AddJSON(dest710, src74)); resp.Status != 200 {
		t.Fatal(resp)
	}
	offered := func(query url.Values) bool {
		r := apiclient.Alternatives(dest710, false)
		r.Query = query
		repos, err := do(t, c, r).Repos()
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(repos, func(rp apiclient.Repo) bool { return rp.RepoPath == src74 })
	}
	for name, tt := range map[string]struct {
		query url.Values
		want  bool
	}{
		"no alreadySetItems (default true)": {nil, true},
		"alreadySetItems=true":              {url.Values{"alreadySetItems": {"true"}}, true},
		"alreadySetItems=false":             {url.Values{"alreadySetItems": {"false"}}, false},
	} {
		if got := offered(tt.query); got != tt.want {
			t.Errorf("%s: %s (referenced) offered %v, want %v", name, src74, got, tt.want)
		}
	}
	bad := apiclient.Alternatives(dest710, false)
	bad.Query.Set("alreadySetItems", "maybe")
	assertEnvelope(t, do(t, c, bad), 400, "InvalidParameter")
}

// DeleteSnapshotRepo documents InstanceActivating and InstanceNotFound;
// clientToken is at most 64 ASCII characters (empty is none).
func TestDeleteAnswersItsDocumentedErrors(t *testing.T) {
	_, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	del := func(dest, token string) *apiclient.Response {
		r := apiclient.Delete(dest, src74)
		r.Query.Set("clientToken", token)
		return do(t, c, r)
	}
	assertEnvelope(t, del("es-cn-cfactivating00001", "t"), 400, "InstanceActivating")
	assertEnvelope(t, del("es-cn-nosuchinstance0001", "t"), 400, "InstanceNotFound")
	assertEnvelope(t, del(dest710, strings.Repeat("t", 65)), 400, "InvalidParameter.ClientToken")
	assertEnvelope(t, del(dest710, "token-\u00e9"), 400, "InvalidParameter.ClientToken")
	if resp := do(t, c, apiclient.AddJSON(dest710, src74)); resp.Status != 200 {
		t.Fatal(resp)
	}
	for _, token := range []string{"", strings.Repeat("t", 64)} {
		if resp := del(dest710, token); resp.Status != 200 && resp.Code != "SnapshotRepo.NotFound" {
			t.Errorf("clientToken %q: %s", token, resp)
		}
	}
}

// A world AccessKey without a secret cannot sign: it is unknown to the
// server, whatever the request says.
func TestAKeyWithoutASecretIsUnknown(t *testing.T) {
	f := &world.File{Region: "cn-hangzhou", Accounts: []world.Account{{ID: "1", AccessKeys: []world.AccessKey{{ID: "LTAI5tNoSecret00001"}}}},
		Instances: []world.InstanceRecord{{ID: "es-cn-a", Account: "1", Region: "cn-hangzhou", Version: "7.10.0"}}}
	w, err := world.FromFile("w", f)
	if err != nil {
		t.Fatal(err)
	}
	_, ts := start(t, server.Options{World: w})
	c := apiclient.New(ts.URL, acs.Credentials{AccessKeyID: "LTAI5tNoSecret00001", AccessKeySecret: ""}, apiclient.SignV3, 0)
	assertEnvelope(t, do(t, c, apiclient.Describe("es-cn-a")), 404, "InvalidAccessKeyId.NotFound")
}

func TestBodiesThatAreNotOneJSONObjectAreInvalid(t *testing.T) {
	_, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	for _, body := range []string{`["x"]`, `{"repoPath":"` + src74 + `"`, `"x"`, `{"repoPath":"` + src74 + `",}`} {
		r := apiclient.AddJSON(dest710, src74)
		r.Body = []byte(body)
		assertEnvelope(t, do(t, c, r), 400, "InvalidParameter")
	}
	form := apiclient.AddForm(dest710, src74)
	form.Body = []byte("body=%zz")
	assertEnvelope(t, do(t, c.With(primary, apiclient.SignV1), form), 400, "InvalidParameter")
}

func TestAStateFileOfAnotherFormatIsRefusedAndKept(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "repos.json")
	if err := os.WriteFile(path, []byte(`{"format":"something-else","repos":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := server.New(server.Options{World: builtin(t), DataDir: dir}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("a state file of another format: %v", err)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "something-else") {
		t.Errorf("the state file was touched: %s", b)
	}
}

func TestAPercentEncodedInstanceIDIsTheInstance(t *testing.T) {
	_, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	encoded := "/openapi/instances/" + strings.TrimSuffix(dest710, "1") + "%31"
	if resp := do(t, c, &apiclient.Request{Method: "GET", Path: encoded}); resp.Status != 200 || !strings.Contains(string(resp.Body), dest710) {
		t.Errorf("GET %s: %s", encoded, resp)
	}
}

func TestAFormBodyThatDoesNotParseIsRefusedEvenWithABodyField(t *testing.T) {
	srv, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV1)
	r := apiclient.AddForm(dest710, src74)
	r.Body = append(r.Body, "&x=%zz"...)
	assertEnvelope(t, do(t, c, r), 400, "InvalidParameter")
	if got := srv.Repos(dest710); len(got) != 0 {
		t.Errorf("created %v", got)
	}
}

func TestANewDataDirHoldsTheWorldsRepositoriesAtOnce(t *testing.T) {
	dir := t.TempDir()
	start(t, server.Options{DataDir: dir})
	b, err := os.ReadFile(filepath.Join(dir, "repos.json"))
	if err != nil || !strings.Contains(string(b), "es-cn-cf85src00000001") {
		t.Errorf("repos.json after start: %v %s", err, b)
	}
}

func TestADeleteAnswersResultTrue(t *testing.T) {
	_, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	do(t, c, apiclient.AddJSON(dest710, src74))
	if resp := do(t, c, apiclient.Delete(dest710, src74)); resp.Status != 200 || !resp.ResultTrue() {
		t.Errorf("delete: %s", resp)
	}
}

func TestDeletingWhatIsNotThereIsRepoNotFound(t *testing.T) {
	_, ts := start(t, server.Options{})
	assertEnvelope(t, do(t, client(ts, ts.URL, apiclient.SignV3), apiclient.Delete(dest710, src74)), 400, "SnapshotRepo.NotFound")
}

// A world's repository may be unavailable (the API reference's other
// status); it is listed so until it is deleted, and a status that is
// neither is refused when the world loads.
func TestUnavailableRepositoriesAreListedSo(t *testing.T) {
	f := &world.File{Region: "cn-hangzhou", Accounts: []world.Account{{ID: "1", AccessKeys: []world.AccessKey{{ID: primary.AccessKeyID, Secret: primary.AccessKeySecret}}}},
		Instances: []world.InstanceRecord{{ID: "es-cn-d", Account: "1", Region: "cn-hangzhou", Version: "7.10.0", Status: "active"},
			{ID: "es-cn-s", Account: "1", Region: "cn-hangzhou", Version: "7.4", Status: "active"},
			{ID: "es-cn-t", Account: "1", Region: "cn-hangzhou", Version: "7.4", Status: "active"}},
		Repos: []world.Repo{{Instance: "es-cn-d", RepoPath: "es-cn-s", Status: world.RepoUnavailable}, {Instance: "es-cn-d", RepoPath: "es-cn-t"}}}
	w, err := world.FromFile("w", f)
	if err != nil {
		t.Fatal(err)
	}
	_, ts := start(t, server.Options{World: w})
	c := client(ts, ts.URL, apiclient.SignV3)
	statuses := func() map[string]string {
		repos, err := do(t, c, apiclient.List("es-cn-d")).Repos()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range repos {
			out[r.RepoPath] = r.Status
		}
		return out
	}
	if got := statuses(); got["es-cn-s"] != "unavailable" || got["es-cn-t"] != "available" {
		t.Errorf("statuses %v, want es-cn-s unavailable and es-cn-t available", got)
	}
	if resp := do(t, c, apiclient.Delete("es-cn-d", "es-cn-s")); resp.Status != 200 {
		t.Fatal(resp)
	}
	if resp := do(t, c, apiclient.AddJSON("es-cn-d", "es-cn-s")); resp.Status != 200 {
		t.Fatal(resp)
	}
	if got := statuses(); got["es-cn-s"] != "available" {
		t.Errorf("after a delete and a new add, es-cn-s is %q, want available", got["es-cn-s"])
	}
	f.Repos[0].Status = "broken"
	if _, err := world.FromFile("w", f); err == nil || !strings.Contains(err.Error(), `"broken" is not a repository status (want available or unavailable)`) {
		t.Errorf("a repository status of broken: %v", err)
	}
}

// A body nested past any the API takes is refused as a bad body before
// any decoder walks it: arrays, objects and both mixed.
func TestADeeplyNestedBodyIsABadBody(t *testing.T) {
	srv, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	for name, inner := range map[string]string{
		"arrays":  strings.Repeat("[", 100) + strings.Repeat("]", 100),
		"objects": strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100),
		"mixed":   strings.Repeat(`[{"a":`, 50) + "1" + strings.Repeat("}]", 50),
	} {
		r := apiclient.AddJSON(dest710, src74)
		r.Body = []byte(`{"repoPath":"` + src74 + `","x":` + inner + `}`)
		start := time.Now()
		resp := do(t, c, r)
		assertEnvelope(t, resp, 400, "InvalidParameter")
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: %v", name, d)
		}
	}
	if got := srv.Repos(dest710); len(got) != 0 {
		t.Errorf("created %v", got)
	}
}

// The user guide's kernel rule holds for ListAlternativeSnapshotRepos as
// for AddSnapshotRepo: a 6.7.0 Standard Edition destination is offered a
// 6.7.0 source only when its kernel is later than the source's, or both run
// the latest (the world's 1.3.0).
func TestAlternativesFollowTheKernelRule(t *testing.T) {
	_, ts := start(t, server.Options{})
	c := client(ts, ts.URL, apiclient.SignV3)
	const k120a, k120b, k130a, k130b = "es-cn-cf67k120a0000001", "es-cn-cf67k120b0000001", "es-cn-cf67k130a0000001", "es-cn-cf67k130b0000001"
	for dest, want := range map[string]map[string]bool{
		k120a: {k120b: false, k130a: false, k130b: false},
		k130a: {k120a: true, k120b: true, k130b: true},
	} {
		repos, err := do(t, c, apiclient.Alternatives(dest, false)).Repos()
		if err != nil {
			t.Fatal(err)
		}
		for src, offer := range want {
			if got := slices.ContainsFunc(repos, func(r apiclient.Repo) bool { return r.RepoPath == src }); got != offer {
				t.Errorf("alternatives of %s: %s offered %v, want %v", dest, src, got, offer)
			}
		}
	}
}

// A body that fails while it is read is an invalid body (400), not one too
// large: an in-process caller of the handler sees the answer.
func TestABodyThatFailsToReadIsInvalid(t *testing.T) {
	srv, _ := start(t, server.Options{NoAuth: true})
	req := httptest.NewRequest(http.MethodPost, "/openapi/instances/"+dest710+"/snapshot-repos", iotest.ErrReader(errors.New("cut")))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var env struct{ Code, Message string }
	if err := json.Unmarshal(rec.Body.Bytes(), &env); rec.Code != http.StatusBadRequest || err != nil || env.Code != "InvalidParameter" || !strings.Contains(env.Message, "could not be read") {
		t.Errorf("a body that fails to read: %d %s; want 400 InvalidParameter saying it could not be read", rec.Code, rec.Body)
	}
}
