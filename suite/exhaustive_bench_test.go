package suite

import (
	"context"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/server"
	"github.com/snaprepo/conform/world"
)

// exhaustiveEnv is a run's environment against a reference server of a
// synthetic world of one region and account with n instances. The server
// runs in this process; with noAuth it keeps no nonces, so that the heap
// measured is the engine's, not the server's replay memory.
func exhaustiveEnv(tb testing.TB, n int, noAuth bool) (*env, *world.World) {
	tb.Helper()
	f := world.Synthetic(1, 1, n, 11)
	w, err := world.FromFile("synthetic", f)
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := server.New(server.Options{World: w, NoAuth: noAuth})
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	cfg := Config{Endpoint: ts.URL, World: w}
	if err := cfg.normalize(); err != nil {
		tb.Fatal(err)
	}
	cat, err := catalogue.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	return newEnv(cfg, cat), w
}

// exhaust compares every pair of the world, as the exhaustive specs do,
// rounds times over, and returns how many requests a round sent and the heap
// the run held: the live heap (what a collection found reachable; the heap
// in use also counts garbage not yet collected, and so moves with when the
// collector happened to run) above the live heap before it started, which
// is the world's and the server's, sampled every 2 ms.
func exhaust(tb testing.TB, e *env, w *world.World, rounds int) (requests int64, held heldHeap) {
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	runtime.GC()
	metrics.Read(live)
	before := live[0].Value.Uint64()
	var samples []uint64
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			metrics.Read(live)
			h := live[0].Value.Uint64()
			samples = append(samples, h-min(before, h))
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	for range rounds {
		for i := range w.Instances {
			d := w.Instances[i].ID
			for _, id := range e.decidingIDs(d) {
				if bad := e.comparePairs(context.Background(), d, id); len(bad) > 0 {
					tb.Fatalf("the reference server disagrees with the oracle: %v", bad[0])
				}
			}
		}
	}
	close(done)
	sampler.Wait()
	// Each pair is one add, and one delete when it was accepted.
	for i := range w.Instances {
		for j := range w.Instances {
			if _, v, ok := e.pairCase(w.Instances[i].ID, w.Instances[j].ID); ok {
				requests++
				if v.Compatible() {
					requests++
				}
			}
		}
	}
	slices.Sort(samples)
	at := func(q int) uint64 { return samples[(len(samples)-1)*q/100] }
	return requests, heldHeap{median: at(50), p95: at(95), max: at(100)}
}

// heldHeap is the distribution of the heap a run held above its world.
type heldHeap struct{ median, p95, max uint64 }

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// BenchmarkExhaustiveAgainstBaseline drives the reference server with the
// exhaustive engine and, in the same run, with a bare loop of the same
// requests and the same concurrency: the engine should cost the server at
// most half its throughput (goal ≥ 0.5).
func BenchmarkExhaustiveAgainstBaseline(b *testing.B) {
	e, w := exhaustiveEnv(b, 100, false)
	var engine, baseline float64
	for b.Loop() {
		start := time.Now()
		n, _ := exhaust(b, e, w, 1)
		engine = float64(n) / time.Since(start).Seconds()

		// The baseline: the same adds and deletes, no oracle, no checks.
		start = time.Now()
		var sent atomic.Int64
		work := make(chan [2]string)
		var wg sync.WaitGroup
		for range e.cfg.Parallel {
			wg.Go(func() {
				for p := range work {
					resp, err := e.client.Do(context.Background(), apiclient.AddJSON(p[0], p[1]))
					sent.Add(1)
					if err == nil && resp.Status == 200 {
						e.client.Do(context.Background(), apiclient.Delete(p[0], p[1]))
						sent.Add(1)
					}
				}
			})
		}
		for i := range w.Instances {
			for j := range w.Instances {
				if _, _, ok := e.pairCase(w.Instances[i].ID, w.Instances[j].ID); ok {
					work <- [2]string{w.Instances[i].ID, w.Instances[j].ID}
				}
			}
		}
		close(work)
		wg.Wait()
		baseline = float64(sent.Load()) / time.Since(start).Seconds()
	}
	b.ReportMetric(engine, "engine-req/s")
	b.ReportMetric(baseline, "baseline-req/s")
	b.ReportMetric(engine/baseline, "ratio")
}

// BenchmarkExhaustiveMemory compares the heap an exhaustive run holds, above
// its world and server, in a world of 10,000 pairs and in one of 250,000: it
// must not grow with the pairs of the world (goal: the 95th percentile within
// ±20 %). The small world is run 25 times over, so that both sides send as
// many requests for as long and draw as many samples: a percentile of fewer
// samples of the same spread reads lower. The world itself grows with its
// instances, not with its pairs; BenchmarkExhaustiveProcessRSS measures the
// whole process.
func BenchmarkExhaustiveMemory(b *testing.B) {
	var small, large heldHeap
	for b.Loop() {
		e, w := exhaustiveEnv(b, 100, true)
		_, small = exhaust(b, e, w, 25)
		e, w = exhaustiveEnv(b, 500, true)
		_, large = exhaust(b, e, w, 1)
	}
	b.ReportMetric(mib(small.median), "median-MiB-10k-pairs")
	b.ReportMetric(mib(large.median), "median-MiB-250k-pairs")
	b.ReportMetric(mib(small.max), "max-MiB-10k-pairs")
	b.ReportMetric(mib(large.max), "max-MiB-250k-pairs")
	b.ReportMetric(mib(small.p95), "p95-MiB-10k-pairs")
	b.ReportMetric(mib(large.p95), "p95-MiB-250k-pairs")
	b.ReportMetric(float64(large.p95)/float64(small.p95), "ratio")
}
