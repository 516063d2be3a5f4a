package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/server"
)

// BenchmarkLoopbackAgainstBaseline sends the same V3-signed AddSnapshotRepo
// over loopback with keep-alive, alternately to a bare net/http handler that
// answers the static success JSON and to the reference server, and reports
// the reference's requests per second as a fraction of the baseline's
// (goal ≥ 0.5).
func BenchmarkLoopbackAgainstBaseline(b *testing.B) {
	static := []byte(`{"RequestId":"D21379E3-A54E-4C86-A64C-3717365F0000","Result":true}`)
	base := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf [512]byte
		for {
			if _, err := r.Body.Read(buf[:]); err != nil {
				break
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(static)
	}))
	defer base.Close()
	_, ref := start(b, server.Options{})
	baseClient := apiclient.New(base.URL, primary, apiclient.SignV3, 5*time.Second)
	refClient := apiclient.New(ref.URL, primary, apiclient.SignV3, 5*time.Second)
	ctx := context.Background()
	var baseTime, refTime time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if r, err := baseClient.Do(ctx, apiclient.AddJSON(dest710, src79)); err != nil || r.Status != 200 {
			b.Fatal(err, r)
		}
		t1 := time.Now()
		if r, err := refClient.Do(ctx, apiclient.AddJSON(dest710, src79)); err != nil || r.Status != 200 {
			b.Fatal(err, r)
		}
		baseTime += t1.Sub(t0)
		refTime += time.Since(t1)
	}
	b.ReportMetric(float64(baseTime)/float64(refTime), "ratio-of-baseline-rps")
	b.ReportMetric(float64(b.N)/refTime.Seconds(), "reference-rps")
	b.ReportMetric(float64(b.N)/baseTime.Seconds(), "baseline-rps")
}

// BenchmarkHandlerAdd is the handler alone, no network: a signed
// AddSnapshotRepo through ServeHTTP. Requests are signed outside the timer;
// allocations per op are the server's (goal ≤ 60).
func BenchmarkHandlerAdd(b *testing.B) {
	srv, err := server.New(server.Options{World: builtin(b)})
	if err != nil {
		b.Fatal(err)
	}
	body := apiclient.RepoBody(src79)
	const batch = 1024
	reqs := make([]*http.Request, batch)
	sign := func() {
		for i := range reqs {
			r := httptest.NewRequest("POST", "http://127.0.0.1:9280"+apiclient.InstancePath(dest710, "snapshot-repos"), bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
			r.Header.Set(acs.HeaderAction, "AddSnapshotRepo")
			r.Header.Set(acs.HeaderVersion, acs.APIVersion)
			acs.SignV3(r, body, primary, time.Now(), acs.NewNonce())
			reqs[i] = r
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%batch == 0 {
			b.StopTimer()
			sign()
			b.StartTimer()
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, reqs[i%batch])
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
