package world

import (
	"bytes"
	"encoding/json"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// peakHeap runs load and returns the highest live-and-garbage heap in use
// above what was in use before, sampled every millisecond, and the time it
// took.
func peakHeap(load func()) (uint64, time.Duration) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	runtime.GC()
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak uint64
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > base && v-base > peak {
				peak = v - base
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	start := time.Now()
	load()
	took := time.Since(start)
	close(done)
	wg.Wait()
	return peak, took
}

// worldBytes is a synthetic world of n instances in YAML and in JSON.
func worldBytes(b *testing.B, n int) (yamlData, jsonData []byte) {
	b.Helper()
	f := Synthetic(10, 10, n/100, 7)
	var y bytes.Buffer
	if err := Encode(&y, f, ""); err != nil {
		b.Fatal(err)
	}
	j, err := json.Marshal(f)
	if err != nil {
		b.Fatal(err)
	}
	return y.Bytes(), j
}

// BenchmarkWorldLoadMemory250k loads a world of 250,000 instances from
// YAML and from JSON and reports the peak heap of each as a multiple of
// the file's size, and the time, scaled to a file of 50 MiB (goals:
// internal/cmd/benchgoals).
func BenchmarkWorldLoadMemory250k(b *testing.B) {
	y, j := worldBytes(b, 250_000)
	var yPeak, jPeak uint64
	var yTook, jTook time.Duration
	for b.Loop() {
		yPeak, yTook = peakHeap(func() {
			if _, err := Parse("w.yaml", y); err != nil {
				b.Fatal(err)
			}
		})
		jPeak, jTook = peakHeap(func() {
			if _, err := Parse("w.json", j); err != nil {
				b.Fatal(err)
			}
		})
	}
	b.ReportMetric(float64(len(y))/(1<<20), "yaml-MiB")
	b.ReportMetric(float64(yPeak)/float64(len(y)), "yaml-x-file")
	b.ReportMetric(yTook.Seconds()*50*(1<<20)/float64(len(y)), "yaml-s-per-50MiB")
	b.ReportMetric(float64(len(j))/(1<<20), "json-MiB")
	b.ReportMetric(float64(jPeak)/float64(len(j)), "json-x-file")
	b.ReportMetric(jTook.Seconds()*50*(1<<20)/float64(len(j)), "json-s-per-50MiB")
}
