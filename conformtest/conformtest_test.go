package conformtest_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/snaprepo/conform/conformtest"
	"github.com/snaprepo/conform/server"
)

const (
	dest       = "es-cn-cf710dest0000001"
	source     = "es-cn-cf74src00000001"
	activating = "es-cn-cfactivating00001"
)

// sdk is darabonba-openapi, the core of every current Go SDK, pointed at
// the server as docs/testing.md says.
func sdk(t *testing.T, srv *conformtest.Server) *openapi.Client {
	t.Helper()
	creds := srv.Credentials()
	cfg := &openapi.Config{AccessKeyId: tea.String(creds.AccessKeyID), AccessKeySecret: tea.String(creds.AccessKeySecret),
		Endpoint: tea.String(srv.Endpoint), Protocol: tea.String(srv.Protocol), RegionId: tea.String("cn-hangzhou")}
	c, err := openapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func add(c *openapi.Client, dest, src string) error { return addWithin(c, dest, src, 0) }

// addWithin is add by a client that waits at most d for the answer (0: the
// SDK's own bound).
func addWithin(c *openapi.Client, dest, src string, d time.Duration) error {
	params := &openapi.Params{
		Action: dara.String("AddSnapshotRepo"), Version: dara.String("2017-06-13"), Protocol: dara.String("HTTP"),
		Pathname: dara.String("/openapi/instances/" + dest + "/snapshot-repos"), Method: dara.String("POST"),
		AuthType: dara.String("AK"), Style: dara.String("ROA"), ReqBodyType: dara.String("json"), BodyType: dara.String("json"),
	}
	runtime := &dara.RuntimeOptions{}
	if d > 0 {
		runtime.ReadTimeout, runtime.Autoretry = dara.Int(int(d.Milliseconds())), dara.Bool(false)
	}
	_, err := c.CallApi(params, &openapi.OpenApiRequest{Body: map[string]interface{}{"repoPath": src}}, runtime)
	return err
}

func code(err error) string {
	var se *tea.SDKError
	if errors.As(err, &se) {
		return tea.StringValue(se.Code)
	}
	return ""
}

// A destination that is activating, then active after a transition on the
// server's clock: the SDK sees InstanceActivating, then success.
func TestActivatingThenActive(t *testing.T) {
	srv := conformtest.NewServer(t)
	c := sdk(t, srv)
	if err := srv.Transition(activating, "active", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := add(c, activating, source); code(err) != "InstanceActivating" {
		t.Fatalf("before the transition: %v", err)
	}
	srv.Advance(5 * time.Second)
	if err := add(c, activating, source); err != nil {
		t.Fatalf("after the transition: %v", err)
	}
	if got := srv.Repos(activating); len(got) != 1 || got[0] != source {
		t.Errorf("repos %v", got)
	}
}

// An injected Throttling.User answers the next request only; a retry gets
// through. darabonba-openapi does not retry a 400 on its own (its autoretry
// is for failed connections), so the code under test must: this is how a
// team tests that it does.
func TestAnInjectedThrottleIsRetried(t *testing.T) {
	srv := conformtest.NewServer(t)
	c := sdk(t, srv)
	if err := srv.Inject(server.Fault{Action: "AddSnapshotRepo", Status: 400, Code: "Throttling.User", Times: 1}); err != nil {
		t.Fatal(err)
	}
	err := add(c, dest, source)
	var se *tea.SDKError
	if !errors.As(err, &se) || tea.StringValue(se.Code) != "Throttling.User" || tea.IntValue(se.StatusCode) != 400 || !strings.Contains(tea.StringValue(se.Message), "flow control") {
		t.Fatalf("the injected throttle: %v", err)
	}
	if err := add(c, dest, source); err != nil {
		t.Fatalf("the retry: %v", err)
	}
}

// A delay longer than the client waits, and a dropped connection, reach
// the SDK as the failures they are.
func TestInjectedDelaysAndDrops(t *testing.T) {
	srv := conformtest.NewServer(t)
	if err := srv.Inject(server.Fault{Action: "*", Drop: true}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.URL + "/openapi/instances/" + dest)
	var netErr net.Error
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a dropped connection answered %d", resp.StatusCode)
	} else if !errors.As(err, &netErr) && !strings.Contains(err.Error(), "EOF") {
		t.Logf("dropped: %v", err)
	}
	// A delay alone: the answer comes, late, and it is the usual one.
	if err := srv.Inject(server.Fault{Action: "DescribeInstance", Delay: server.Duration(300 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	c := sdk(t, srv)
	start := time.Now()
	out, err := c.CallApi(&openapi.Params{
		Action: dara.String("DescribeInstance"), Version: dara.String("2017-06-13"), Protocol: dara.String("HTTP"),
		Pathname: dara.String("/openapi/instances/" + dest), Method: dara.String("GET"),
		AuthType: dara.String("AK"), Style: dara.String("ROA"), ReqBodyType: dara.String("json"), BodyType: dara.String("json"),
	}, &openapi.OpenApiRequest{}, &dara.RuntimeOptions{})
	if err != nil {
		t.Fatalf("the delayed DescribeInstance: %v", err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("the delayed answer took %v", took)
	}
	if body, _ := out["body"].(map[string]interface{}); body == nil || !strings.Contains(fmt.Sprint(body["Result"]), dest) {
		t.Errorf("the delayed DescribeInstance answered %v; want the instance %s", out["body"], dest)
	}
	// A client that gives up during the delay: the request is carried out
	// all the same, when the delay is over.
	if err := srv.Inject(server.Fault{Action: "AddSnapshotRepo", Delay: server.Duration(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := addWithin(c, dest, source, 200*time.Millisecond); err == nil {
		t.Fatal("an add delayed 1s succeeded within 200ms")
	}
	time.Sleep(300 * time.Millisecond)
	if got := srv.Repos(dest); len(got) != 0 {
		t.Errorf("a request delayed 1s was carried out within 500ms: %v", got)
	}
	for deadline := time.Now().Add(5 * time.Second); len(srv.Repos(dest)) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a request whose client left during the delay was never carried out")
		}
	}
}

// Reset between tests: repositories, statuses and faults as the world has
// them.
func TestResetRestoresTheWorld(t *testing.T) {
	srv := conformtest.NewServer(t)
	c := sdk(t, srv)
	if err := add(c, dest, source); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetStatus(dest, "inactive"); err != nil {
		t.Fatal(err)
	}
	srv.Inject(server.Fault{Action: "AddSnapshotRepo", Status: 503, Code: "ServiceUnavailable", Times: 5})
	if err := srv.Reset(); err != nil {
		t.Fatal(err)
	}
	if got := srv.Repos(dest); len(got) != 0 {
		t.Errorf("repos after reset: %v", got)
	}
	if err := add(c, dest, source); err != nil {
		t.Errorf("an add after reset: %v", err)
	}
	if err := srv.SetStatus("es-cn-nosuchinstance01", "active"); err == nil {
		t.Error("setting the status of an instance that does not exist succeeded")
	}
	if err := srv.SetStatus(dest, "sleeping"); err == nil || !strings.Contains(err.Error(), "sleeping") {
		t.Errorf("a status that is none: %v", err)
	}
}

// A reset drops the requests still in their delay: none of them lands in
// the next test.
func TestAResetDropsDelayedRequests(t *testing.T) {
	srv := conformtest.NewServer(t)
	c := sdk(t, srv)
	if err := srv.Inject(server.Fault{Action: "AddSnapshotRepo", Delay: server.Duration(time.Second)}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- addWithin(c, dest, source, 5*time.Second) }()
	for deadline := time.Now().Add(5 * time.Second); len(srv.Handler().Faults()) > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) { // the request has not taken its delay
			t.Fatal("the add never reached the server")
		}
	}
	if err := srv.Reset(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("a request in its delay when the server was reset succeeded")
	}
	if took := time.Since(start); took > 800*time.Millisecond {
		t.Errorf("a request of a 1s delay, dropped by a reset, ended after %v", took)
	}
	time.Sleep(time.Second)
	if got := srv.Repos(dest); len(got) != 0 {
		t.Errorf("a request dropped by a reset was carried out: %v", got)
	}
}

// A test's cleanup does not wait for a request in an injected delay: the
// server is closed with the test, and the request dropped.
func TestCleanupDoesNotWaitForAnInjectedDelay(t *testing.T) {
	start := time.Now()
	t.Run("a test that leaves a delayed request behind", func(t *testing.T) {
		srv := conformtest.NewServer(t)
		if err := srv.Inject(server.Fault{Action: "AddSnapshotRepo", Delay: server.Duration(30 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		if err := addWithin(sdk(t, srv), dest, source, 300*time.Millisecond); err == nil {
			t.Fatal("an add delayed 30s succeeded within 300ms")
		}
	})
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the test and its cleanup took %v; want the delayed request dropped at once", took)
	}
}
