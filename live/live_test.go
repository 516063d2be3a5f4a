package live_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/live"
	"github.com/snaprepo/conform/server"
	"github.com/snaprepo/conform/world"
)

// throttling answers Throttling.User for the first n calls, then a
// DescribeInstance result.
func throttling(n int32) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) <= n {
			w.WriteHeader(400)
			w.Write([]byte(`{"Code":"Throttling.User","Message":"Request was denied due to user flow control.","RequestId":"R"}`))
			return
		}
		w.Write([]byte(`{"RequestId":"R","Result":{"instanceId":"es-cn-x","esVersion":"7.10_with_X-Pack","status":"active","instanceCategory":"x-pack","extendConfigs":[]}}`))
	}))
	return ts, &calls
}

func platform(url string) *live.Platform {
	return live.New(live.Options{
		Credentials: acs.Credentials{AccessKeyID: "LTAI5tExample", AccessKeySecret: "s"},
		Endpoints:   map[string]string{"cn-hangzhou": url},
		Timeout:     2 * time.Second, Attempts: 3, Backoff: 10 * time.Millisecond,
	})
}

func TestThrottledCallsAreRetriedWithBackoff(t *testing.T) {
	ts, calls := throttling(2)
	defer ts.Close()
	d, err := platform(ts.URL).Describe("cn-hangzhou", "es-cn-x")
	if err != nil || d == nil || d.Instance.Version.Number.String() != "7.10.0" {
		t.Fatalf("got %+v, %v", d, err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d calls, want 3", calls.Load())
	}
}

func TestThrottlingBeyondTheAttemptsIsALookupError(t *testing.T) {
	ts, calls := throttling(100)
	defer ts.Close()
	_, err := platform(ts.URL).Describe("cn-hangzhou", "es-cn-x")
	var le *live.Error
	if !errors.As(err, &le) || le.Kind != "throttled" {
		t.Fatalf("err = %v", err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d calls, want the 3 attempts", calls.Load())
	}
}

func TestAnAnswerThatIsNotAVersionIsALookupError(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"RequestId":"R","Result":{"instanceId":"es-cn-x","esVersion":"seven","status":"active"}}`))
	}))
	defer ts.Close()
	_, err := platform(ts.URL).Describe("cn-hangzhou", "es-cn-x")
	var le *live.Error
	if !errors.As(err, &le) || le.Kind != "unexpected" {
		t.Fatalf("err = %v", err)
	}
}

// ListInstances reads every page: 250 instances take three pages of 100.
func TestListInstancesReadsEveryPage(t *testing.T) {
	w, err := world.FromFile("synthetic", world.Synthetic(1, 1, 250, 5))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{World: w})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	p := live.New(live.Options{
		Credentials: acs.Credentials{AccessKeyID: w.Accounts[0].AccessKeys[0].ID, AccessKeySecret: w.Accounts[0].AccessKeys[0].Secret},
		Endpoints:   map[string]string{w.Region: ts.URL},
	})
	got, err := p.ListInstances(w.Region)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range got {
		seen[d.Instance.ID] = true
		if want := w.Instance(d.Instance.ID); want == nil || want.Version.Raw != d.Instance.Version.Raw || want.Status != d.Instance.Status {
			t.Errorf("%s read as %s %s", d.Instance.ID, d.Instance.Version, d.Instance.Status)
		}
	}
	if len(got) != 250 || len(seen) != 250 {
		t.Errorf("%d instances read, %d distinct; want 250", len(got), len(seen))
	}
}

// An implementation that leaves Headers.X-Total-Count out is paged until a
// short page: every instance read, none lost to a missing total.
func TestListInstancesWithoutATotalReadsEveryPage(t *testing.T) {
	const n = 250
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		var items []string
		for i := (page - 1) * size; i < min(page*size, n); i++ {
			items = append(items, fmt.Sprintf(`{"instanceId":"es-cn-%04d","esVersion":"7.10_with_X-Pack","status":"active"}`, i))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"RequestId":"R%d","Result":[%s]}`, page, strings.Join(items, ","))
	}))
	defer ts.Close()
	p := live.New(live.Options{
		Credentials: acs.Credentials{AccessKeyID: "LTAI5tExample", AccessKeySecret: "s"},
		Endpoints:   map[string]string{"cn-hangzhou": ts.URL},
		Timeout:     2 * time.Second,
	})
	got, err := p.ListInstances("cn-hangzhou")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Errorf("%d instances read without X-Total-Count, want %d", len(got), n)
	}
}

// A platform that answers full pages without end is a failed lookup after
// MaxPages, never a loop.
func TestEndlessPagesAreAFailedLookup(t *testing.T) {
	endless(t, 100, 3, "more than 3 pages")
	// A page larger than asked for is no answer to the question.
	endless(t, 101, 1, "a page of 101 instances answered, more than the 100 asked for")
}

func endless(t *testing.T, perPage int, wantCalls int32, says string) {
	t.Helper()
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		var b strings.Builder
		b.WriteString(`{"RequestId":"R","Headers":{"X-Total-Count":1000000000},"Result":[`)
		for i := range perPage {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"instanceId":"es-cn-%d-%d","esVersion":"7.10_with_X-Pack","status":"active"}`, n, i)
		}
		b.WriteString(`]}`)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(b.String()))
	}))
	defer ts.Close()
	p := live.New(live.Options{
		Credentials: acs.Credentials{AccessKeyID: "LTAI5tExample", AccessKeySecret: "s"},
		Endpoints:   map[string]string{"cn-hangzhou": ts.URL},
		Timeout:     2 * time.Second, MaxPages: 3,
	})
	_, err := p.ListInstances("cn-hangzhou")
	var le *live.Error
	if !errors.As(err, &le) || !strings.Contains(err.Error(), says) {
		t.Fatalf("pages of %d: %v; want a lookup error saying %q", perPage, err, says)
	}
	if calls.Load() != wantCalls {
		t.Errorf("%d pages asked for; want %d", calls.Load(), wantCalls)
	}
}
