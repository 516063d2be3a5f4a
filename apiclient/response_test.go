package apiclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// net/http's ServeMux answers a path holding a dot segment with a redirect
// to its clean form before any handler runs: DotSegmentRedirect recognises
// that answer from a real ServeMux over loopback, and nothing else.
func TestARedirectToTheCleanPathIsRecognised(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"RequestId":"ok","Result":true}`))
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	cl := client(ts.URL, 2*time.Second)
	for _, c := range []struct {
		path string
		want bool
	}{
		{"/openapi/instances/../snapshot-repos", true},
		{"/openapi/instances/..", true},
		{"/openapi/instances/./snapshot-repos", true},
		{"/openapi/instances/es-cn-a/snapshot-repos", false},
		// ServeMux does not clean what is escaped: no redirect.
		{"/openapi/instances/es-cn%2F..%2Fx/snapshot-repos", false},
	} {
		r := AddJSON("es-cn-d", "es-cn-s")
		r.Path = c.path
		resp, err := cl.Do(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.DotSegmentRedirect(); got != c.want {
			t.Errorf("%s answered %d (Location %q): DotSegmentRedirect %v, want %v", c.path, resp.Status, resp.Header.Get("Location"), got, c.want)
		}
	}
}

// Only a redirect, on the same server, to the sent path without its dot
// segments is the HTTP layer's canonical form.
func TestOtherRedirectsAreNotTheCleanPath(t *testing.T) {
	dotted := &Request{Method: http.MethodPost, Path: "/openapi/instances/../snapshot-repos"}
	for _, c := range []struct {
		why      string
		req      *Request
		status   int
		location string
		want     bool
	}{
		{"the clean path", dotted, 307, "/openapi/snapshot-repos", true},
		{"the clean path with a trailing slash", dotted, 301, "/openapi/snapshot-repos/", true},
		{"a 200 with a Location", dotted, 200, "/openapi/snapshot-repos", false},
		{"a 400 with a Location", dotted, 400, "/openapi/snapshot-repos", false},
		{"another path", dotted, 307, "/openapi/instances/es-cn-victim/snapshot-repos", false},
		{"another server", dotted, 307, "http://elsewhere.example/openapi/snapshot-repos", false},
		{"a host-relative URL", dotted, 307, "//elsewhere.example/openapi/snapshot-repos", false},
		{"a relative path", dotted, 307, "snapshot-repos", false},
		{"no Location", dotted, 307, "", false},
		{"a canonical path", &Request{Path: "/openapi/snapshot-repos"}, 307, "/openapi/snapshot-repos", false},
		{"no request", nil, 307, "/openapi/snapshot-repos", false},
	} {
		resp := &Response{Request: c.req, Status: c.status, Header: http.Header{}}
		if c.location != "" {
			resp.Header.Set("Location", c.location)
		}
		if got := resp.DotSegmentRedirect(); got != c.want {
			t.Errorf("%s: DotSegmentRedirect %v, want %v", c.why, got, c.want)
		}
	}
}

// Headers.X-Total-Count is read where given, absent is no error, and a
// total that is no count is one.
func TestTotalCount(t *testing.T) {
	for _, c := range []struct {
		body        string
		n           int
		given, fail bool
	}{
		{`{"Headers":{"X-Total-Count":16},"Result":[]}`, 16, true, false},
		{`{"Result":[]}`, 0, false, false},
		{`{"Headers":{},"Result":[]}`, 0, false, false},
		{`{"Headers":{"X-Total-Count":"16"}}`, 0, true, true},
		{`{"Headers":{"X-Total-Count":-1}}`, 0, true, true},
		{`[1]`, 0, false, true},
	} {
		n, given, err := (&Response{Body: []byte(c.body)}).TotalCount()
		if n != c.n || given != c.given || (err != nil) != c.fail {
			t.Errorf("%s: %d %v %v, want %d %v, error %v", c.body, n, given, err, c.n, c.given, c.fail)
		}
	}
}
