package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/suite"
	"github.com/snaprepo/conform/world"
)

// exhaustiveRun runs `conform run --exhaustive` as a process against a
// `conform serve` process holding a generated world of n instances in one
// region and account (one account: the tenant specs cannot be exercised, so
// the run is incomplete by design and --allow-incomplete accepts it), and
// returns how long it took and the run's peak RSS.
func exhaustiveRun(b *testing.B, n int) (time.Duration, int64) {
	b.Helper()
	dir := b.TempDir()
	data, _ := json.Marshal(world.Synthetic(1, 1, n, 5))
	path := filepath.Join(dir, "world.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	s := startServe(&testing.T{}, "--log-level", "error", "--world", path)
	defer s.cmd.Process.Kill()
	reportPath := filepath.Join(dir, "report.json")
	cmd := exec.Command(conformBinary(b), "run", "--no-color", "--endpoint", s.url, "--world", path, "--exhaustive", "--label-filter", "!STATE-MODEL", "--allow-incomplete", "--json-report", reportPath)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var peak int64
	for {
		if hwm := residentHighWater(cmd.Process.Pid); hwm > peak {
			peak = hwm
		}
		select {
		case err := <-exited:
			took := time.Since(start)
			if err != nil {
				b.Fatalf("conform run --exhaustive over %d instances: %v\n%.3000s", n, err, out.String())
			}
			everyPairCompared(b, reportPath, n)
			if peak == 0 {
				b.Skip("no /proc/PID/status VmHWM here: the peak RSS cannot be measured")
			}
			return took, peak
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// everyPairCompared fails the benchmark unless the run's report says every
// pair of the n-instance world was compared, none left out but the
// undecided, and every one agreed with the oracle.
func everyPairCompared(b *testing.B, reportPath string, n int) {
	b.Helper()
	data, err := os.ReadFile(reportPath)
	if err != nil {
		b.Fatal(err)
	}
	var rep runReport
	if err := json.Unmarshal(data, &rep); err != nil {
		b.Fatal(err)
	}
	x := rep.Exhaustive
	if x == nil || x.Pairs != n*n || x.Compared+x.Undecided != x.Pairs || x.NotCompared != 0 || x.Disagreeing != 0 {
		b.Fatalf("%d instances: exhaustive tally %+v, want all %d pairs compared but the undecided, and none disagreeing", n, x, n*n)
	}
}

// residentHighWater is a running process's peak RSS in bytes (VmHWM in
// /proc/PID/status), 0 when it cannot be read. The peak a parent learns from
// wait4 is no use here: Linux carries the starting process's own peak into
// the child's across exec, so a child of a large test binary reports the
// test binary's peak. VmHWM is the child's own, sampled every 10 ms while it
// runs.
func residentHighWater(pid int) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kib * 1024
		}
	}
	return 0
}

// BenchmarkExhaustiveProcessRSS: an exhaustive run over 250 instances
// (62,500 pairs) against a conform serve process completes, every pair
// compared, with the run's peak RSS flat against 100 instances (10,000
// pairs) — goal within ±20 %.
func BenchmarkExhaustiveProcessRSS(b *testing.B) {
	var t250 time.Duration
	var rss100, rss250 int64
	for b.Loop() {
		_, rss100 = exhaustiveRun(b, 100)
		t250, rss250 = exhaustiveRun(b, 250)
	}
	b.ReportMetric(float64(rss100)/(1<<20), "MiB-RSS-10k-pairs")
	b.ReportMetric(float64(rss250)/(1<<20), "MiB-RSS-62.5k-pairs")
	b.ReportMetric(float64(rss250)/float64(rss100), "rss-ratio")
	b.ReportMetric(62500/t250.Seconds(), "pairs/s-62.5k")
}

// BenchmarkExhaustiveProcessAgainstBaseline: a whole `conform run
// --exhaustive` process over a 120-instance world (14,400 pairs) against a
// `conform serve` process, beside a plain loop in this process that sends
// the same server the same pairs — an add each, a delete for each add
// accepted, signed, as many at once as the run sends — with no oracle and
// no checks. Goal: the process compares pairs at ≥ 0.5 × the rate the loop
// gets them answered, start-up, the other specs and the reports included.
func BenchmarkExhaustiveProcessAgainstBaseline(b *testing.B) {
	const n = 120
	dir := b.TempDir()
	synthetic := world.Synthetic(1, 1, n, 5)
	data, _ := json.Marshal(synthetic)
	path := filepath.Join(dir, "world.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	w, err := world.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	s := startServe(&testing.T{}, "--log-level", "error", "--world", path)
	defer s.cmd.Process.Kill()
	client := apiclient.New(s.url, *suite.WorldCredentials(w), apiclient.SignV3, 10*time.Second)
	var process, loop time.Duration
	for b.Loop() {
		reportPath := filepath.Join(dir, "report.json")
		cmd := exec.Command(conformBinary(b), "run", "--no-color", "--endpoint", s.url, "--world", path, "--exhaustive", "--allow-incomplete", "--json-report", reportPath)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("conform run --exhaustive over %d instances: %v\n%.3000s", n, err, out)
		}
		process = time.Since(start)
		everyPairCompared(b, reportPath, n)

		start = time.Now()
		work := make(chan [2]string)
		var wg sync.WaitGroup
		for range runtime.NumCPU() {
			wg.Go(func() {
				for p := range work {
					resp, err := client.Do(context.Background(), apiclient.AddJSON(p[0], p[1]))
					if err == nil && resp.Status == 200 && resp.ResultTrue() {
						client.Do(context.Background(), apiclient.Delete(p[0], p[1]))
					}
				}
			})
		}
		for _, d := range w.Instances {
			for _, src := range w.Instances {
				work <- [2]string{d.ID, src.ID}
			}
		}
		close(work)
		wg.Wait()
		loop = time.Since(start)
	}
	pairs := float64(n * n)
	b.ReportMetric(pairs/process.Seconds(), "process-pairs/s")
	b.ReportMetric(pairs/loop.Seconds(), "loop-pairs/s")
	b.ReportMetric(loop.Seconds()/process.Seconds(), "ratio")
}
