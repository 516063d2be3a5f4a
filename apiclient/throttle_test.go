package apiclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
)

// throttling is an endpoint whose first `times` requests are throttled with
// status and code (Retry-After when retryAfter is not empty); it keeps the
// nonce of every request.
func throttling(t *testing.T, times, status int, code, retryAfter string) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var nonces []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		nonces = append(nonces, r.Header.Get(acs.HeaderNonce))
		n := len(nonces)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if n <= times {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(status)
			w.Write([]byte(`{"Code":"` + code + `","Message":"flow control","RequestId":"t"}`))
			return
		}
		w.Write([]byte(`{"RequestId":"ok","Result":true}`))
	}))
	t.Cleanup(ts.Close)
	return ts, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), nonces...)
	}
}

// A throttled request is sent again, signed afresh, after the backoff; the
// answer after the throttles is the one returned, and Health counts them.
func TestAThrottledRequestIsSentAgainAfterABackoff(t *testing.T) {
	for _, c := range []struct {
		status int
		code   string
	}{{400, "Throttling.User"}, {400, "Throttling"}, {429, "Whatever"}} {
		ts, sent := throttling(t, 2, c.status, c.code, "")
		cl := client(ts.URL, 2*time.Second)
		start := time.Now()
		resp, err := cl.Do(context.Background(), AddJSON("es-cn-d", "es-cn-s"))
		took := time.Since(start)
		if err != nil || resp.Status != 200 || !resp.ResultTrue() {
			t.Fatalf("%d %s: %v %v", c.status, c.code, resp, err)
		}
		nonces := sent()
		if len(nonces) != 3 || nonces[0] == nonces[1] || nonces[1] == nonces[2] {
			t.Errorf("%d %s: sent with nonces %q: want three requests, each signed afresh", c.status, c.code, nonces)
		}
		// 100 ms, then 200 ms.
		if took < 300*time.Millisecond || took > 2*time.Second {
			t.Errorf("%d %s: two throttles took %s, want the backoff of 100 ms then 200 ms", c.status, c.code, took)
		}
		if n := cl.Health.TakeThrottled(); n != 2 {
			t.Errorf("%d %s: Health counted %d throttles, want 2", c.status, c.code, n)
		}
		if n := cl.Health.TakeThrottled(); n != 0 {
			t.Errorf("TakeThrottled counts from the last call: %d", n)
		}
	}
}

// An endpoint that always throttles is asked MaxThrottleRetries more times,
// then its throttle is the answer: a throttle never becomes a success.
func TestAnEndpointThatAlwaysThrottlesGetsItsLastThrottleBack(t *testing.T) {
	ts, sent := throttling(t, 1000, 400, "Throttling.User", "0")
	resp, err := client(ts.URL, time.Second).Do(context.Background(), AddJSON("es-cn-d", "es-cn-s"))
	if err != nil || resp.Status != 400 || resp.Code != "Throttling.User" {
		t.Fatalf("%v %v: want the last throttle", resp, err)
	}
	if n := len(sent()); n != MaxThrottleRetries+1 {
		t.Errorf("sent %d times, want %d", n, MaxThrottleRetries+1)
	}
}

// Retry-After is honoured up to its bound; other answers are not retried.
func TestRetryAfterIsBoundedAndOnlyThrottlesAreRetried(t *testing.T) {
	if got := throttlePause(&Response{Header: http.Header{"Retry-After": {"3600"}}}, 0); got != maxThrottlePause {
		t.Errorf("Retry-After 3600: pause %s, want %s", got, maxThrottlePause)
	}
	if got := throttlePause(&Response{Header: http.Header{"Retry-After": {"1"}}}, 4); got != time.Second {
		t.Errorf("Retry-After 1: pause %s, want 1s", got)
	}
	if got := throttlePause(&Response{Header: http.Header{}}, 10); got != maxThrottlePause {
		t.Errorf("the eleventh backoff: %s, want the bound %s", got, maxThrottlePause)
	}
	for _, r := range []Response{{Status: 503, Code: "ServiceUnavailable"}, {Status: 400, Code: "ThrottlingX"}, {Status: 500, Code: "Throttling"}, {Status: 200}, {Status: 400, Code: "InstanceNotFound"}} {
		if Throttled(&r) {
			t.Errorf("%d %s counted as a throttle", r.Status, r.Code)
		}
	}
	ts, sent := throttling(t, 1, 503, "ServiceUnavailable", "")
	if resp, err := client(ts.URL, time.Second).Do(context.Background(), AddJSON("es-cn-d", "es-cn-s")); err != nil || resp.Status != 503 || len(sent()) != 1 {
		t.Errorf("a 503 was sent %d times (%v %v): only throttles are sent again", len(sent()), resp, err)
	}
}
