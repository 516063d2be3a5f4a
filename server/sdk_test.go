package server_test

import (
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/elasticsearch"

	"github.com/snaprepo/conform/server"
	"github.com/snaprepo/conform/world"
)

const (
	primaryKey    = "LTAI5tConformPrimary01"
	primarySecret = "conform-primary-secret-01"
	dest710       = "es-cn-cf710dest0000001"
	src74         = "es-cn-cf74src00000001"
	src79         = "es-cn-cf79src00000001"
)

func builtin(t testing.TB) *world.World {
	t.Helper()
	w, err := world.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// start serves a fresh reference server on loopback.
func start(t testing.TB, o server.Options) (*server.Server, *httptest.Server) {
	t.Helper()
	if o.World == nil {
		o.World = builtin(t)
	}
	srv, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return srv, ts
}

// sdkClient is the classic Go SDK pointed at ts.
func sdkClient(t testing.TB, secret string) *elasticsearch.Client {
	t.Helper()
	c, err := elasticsearch.NewClientWithAccessKey("cn-hangzhou", primaryKey, secret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func aim(t testing.TB, ts *httptest.Server, req interface {
	SetDomain(string)
	SetScheme(string)
}, port *string) {
	host, p, err := net.SplitHostPort(strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	req.SetScheme("http")
	req.SetDomain(host) // the port goes in Port, never inside Domain
	*port = p
}

func addRequest(t testing.TB, ts *httptest.Server, dest, src string) *elasticsearch.AddSnapshotRepoRequest {
	req := elasticsearch.CreateAddSnapshotRepoRequest()
	aim(t, ts, req, &req.Port)
	req.InstanceId = dest
	req.Body = `{"repoPath":"` + src + `"}`
	return req
}

func serverError(t testing.TB, err error) *sdkerrors.ServerError {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("want a ServerError, got %T: %v", err, err)
	}
	return se
}

func TestClassicSDKAddsARepository(t *testing.T) {
	srv, ts := start(t, server.Options{})
	resp, err := sdkClient(t, primarySecret).AddSnapshotRepo(addRequest(t, ts, dest710, src79))
	if err != nil {
		t.Fatalf("AddSnapshotRepo: %v", err)
	}
	if !resp.Result || resp.RequestId == "" {
		t.Errorf("Result %v, RequestId %q", resp.Result, resp.RequestId)
	}
	if got := srv.Repos(dest710); len(got) != 1 || got[0] != src79 {
		t.Errorf("repos of %s = %v", dest710, got)
	}
}

func TestClassicSDKGetsTheDocumentedErrors(t *testing.T) {
	_, ts := start(t, server.Options{})
	c := sdkClient(t, primarySecret)
	tests := []struct {
		name, dest, code, message string
	}{
		{"unknown destination", "es-cn-doesnotexist0001", "InstanceNotFound", "The instanceId provided does not exist."},
		{"another account's destination", "es-cn-cfneighbour000001", "InstanceNotFound", "The instanceId provided does not exist."},
		{"activating destination", "es-cn-cfactivating00001", "InstanceActivating", "Instance is activating."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.AddSnapshotRepo(addRequest(t, ts, tt.dest, src74))
			se := serverError(t, err)
			if se.ErrorCode() != tt.code || se.Message() != tt.message || se.HttpStatus() != 400 {
				t.Errorf("got %d %s %q", se.HttpStatus(), se.ErrorCode(), se.Message())
			}
			if se.RequestId() == "" || se.HostId() == "" || se.Recommend() == "" {
				t.Errorf("envelope incomplete: RequestId %q HostId %q Recommend %q", se.RequestId(), se.HostId(), se.Recommend())
			}
		})
	}
}

func TestClassicSDKWithAWrongSecretGetsSignatureDoesNotMatch(t *testing.T) {
	srv, ts := start(t, server.Options{})
	_, err := sdkClient(t, "not-the-secret").AddSnapshotRepo(addRequest(t, ts, dest710, src79))
	se := serverError(t, err)
	if se.ErrorCode() != "SignatureDoesNotMatch" {
		t.Fatalf("code %s: %s", se.ErrorCode(), se.Message())
	}
	// The classic SDK compares the server's string to sign with its own: equal
	// strings (byte for byte) make it blame the secret, as it should.
	if !strings.Contains(se.Recommend(), "InvalidAccessKeySecret") {
		t.Errorf("the SDK's string to sign differs from the server's: %q / %q", se.Message(), se.Recommend())
	}
	if got := srv.Repos(dest710); len(got) != 0 {
		t.Errorf("a refused request created %v", got)
	}
}

func TestClassicSDKParsesListDeleteDescribeAndAlternatives(t *testing.T) {
	_, ts := start(t, server.Options{})
	c := sdkClient(t, primarySecret)
	if _, err := c.AddSnapshotRepo(addRequest(t, ts, dest710, src74)); err != nil {
		t.Fatal(err)
	}

	list := elasticsearch.CreateListSnapshotReposByInstanceIdRequest()
	aim(t, ts, list, &list.Port)
	list.InstanceId = dest710
	lr, err := c.ListSnapshotReposByInstanceId(list)
	if err != nil {
		t.Fatal(err)
	}
	if len(lr.Result) != 1 || lr.Result[0].RepoPath != src74 || lr.Result[0].InstanceId != src74 || lr.Result[0].Status != "available" {
		t.Errorf("list = %+v", lr.Result)
	}

	alt := elasticsearch.CreateListAlternativeSnapshotReposRequest()
	aim(t, ts, alt, &alt.Port)
	alt.InstanceId = dest710
	alt.AlreadySetItems = "false"
	ar, err := c.ListAlternativeSnapshotRepos(alt)
	if err != nil {
		t.Fatal(err)
	}
	offered := map[string]bool{}
	for _, r := range ar.Result {
		offered[r.RepoPath] = true
	}
	if !offered[src79] || offered[src74] || offered["es-cn-cf85src00000001"] || offered["es-cn-cfneighbour000001"] {
		t.Errorf("alternatives = %v: want 7.9 offered, the set 7.4, the newer 8.5 and the neighbour's left out", offered)
	}

	desc := elasticsearch.CreateDescribeInstanceRequest()
	aim(t, ts, desc, &desc.Port)
	desc.InstanceId = "es-cn-cf67k130a0000001"
	dr, err := c.DescribeInstance(desc)
	if err != nil {
		t.Fatal(err)
	}
	r := dr.Result
	if r.InstanceId != desc.InstanceId || r.EsVersion != "6.7.0_with_X-Pack" || r.Status != "active" || r.InstanceCategory != "x-pack" {
		t.Errorf("describe = %s %s %s %s", r.InstanceId, r.EsVersion, r.Status, r.InstanceCategory)
	}
	if len(r.ExtendConfigs) != 1 || r.ExtendConfigs[0]["configType"] != "aliVersion" || r.ExtendConfigs[0]["aliVersion"] != "ali1.3.0" {
		t.Errorf("extendConfigs = %v", r.ExtendConfigs)
	}

	del := elasticsearch.CreateDeleteSnapshotRepoRequest()
	aim(t, ts, del, &del.Port)
	del.InstanceId = dest710
	del.RepoPath = src74
	if _, err := c.DeleteSnapshotRepo(del); err != nil {
		t.Fatalf("delete: %v", err)
	}
	lr, err = c.ListSnapshotReposByInstanceId(list)
	if err != nil || len(lr.Result) != 0 {
		t.Errorf("after delete: %+v, %v", lr, err)
	}
}
