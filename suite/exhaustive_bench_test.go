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

// exhaust compares every pair of the world, as the exhaustive specs do, and
// returns how many requests it sent and the heap the run held: the live heap
// (what a collection found reachable; the heap in use also counts garbage
// not yet collected, and so moves with when the collector happened to run)
// above the live heap before it started, which is the world's and the
// server's, sampled every 20 ms. held is the 95th percentile of the samples:
// their maximum would grow with the length of the run alone, a longer run
// drawing more samples of the same spread, while memory kept per pair moves
// every percentile.
func exhaust(tb testing.TB, e *env, w *world.World) (requests int64, held uint64) {
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	runtime.GC()
	metrics.Read(live)
	before := live[0].Value.Uint64()
	var samples []uint64
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			metrics.Read(live)
			samples = append(samples, live[0].Value.Uint64()-min(before, live[0].Value.Uint64()))
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	for i := range w.Instances {
		d := w.Instances[i].ID
		for _, id := range e.decidingIDs(d) {
			if bad := e.comparePairs(context.Background(), d, id); len(bad) > 0 {
				tb.Fatalf("the reference server disagrees with the oracle: %v", bad[0])
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
	tb.Logf("%d instances: live heap above the idle %.2f MiB: median %.2f, p95 %.2f, max %.2f MiB (%d samples)", len(w.Instances), mib(before), mib(samples[len(samples)/2]), mib(samples[len(samples)*95/100]), mib(samples[len(samples)-1]), len(samples))
	return requests, samples[len(samples)*95/100]
}

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
		n, _ := exhaust(b, e, w)
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
// its world and server, at 10,000 pairs and at 250,000: it must not grow with
// the pairs (goal: within ±20 %). The world itself grows with its instances,
// not with the pairs; BenchmarkExhaustiveProcessRSS measures the whole
// process.
func BenchmarkExhaustiveMemory(b *testing.B) {
	var small, large uint64
	for b.Loop() {
		e, w := exhaustiveEnv(b, 100, true)
		_, small = exhaust(b, e, w)
		e, w = exhaustiveEnv(b, 500, true)
		_, large = exhaust(b, e, w)
	}
	b.ReportMetric(float64(small)/(1<<20), "MiB-10k-pairs")
	b.ReportMetric(float64(large)/(1<<20), "MiB-250k-pairs")
	b.ReportMetric(float64(large)/float64(small), "ratio")
}
