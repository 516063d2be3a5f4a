package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// sample is `go test -bench` output with every goal's benchmark, each goal
// met, and the noise such output carries.
const sample = `goos: linux
pkg: github.com/snaprepo/conform/checks
BenchmarkEvaluatePairAgainstPlainGo-2     	     376	   3140923 ns/op	        33.22 evaluate-ns/pair	        14.69 plain-ns/pair	         2.262 ratio	       0 B/op	       0 allocs/op
BenchmarkMatrix100k-2                     	       6	 199947610 ns/op	 6542360 B/op	   28565 allocs/op
BenchmarkCheckMatrixCommand100k-2   	       1	2189674846 ns/op	372126720 B/op	 9436183 allocs/op
BenchmarkExhaustiveProcessRSS-2     	       1	15958565736 ns/op	        48.92 MiB-RSS-10k-pairs	        55.15 MiB-RSS-62.5k-pairs	      4775 pairs/s-62.5k	         1.127 rss-ratio
BenchmarkExhaustiveProcessAgainstBaseline-2   	       1	18588600613 ns/op	      1590 loop-pairs/s	      1511 process-pairs/s	         0.9500 ratio
BenchmarkLoopbackAgainstBaseline-2   	    6998	    171233 ns/op	     13611 baseline-rps	         0.7521 ratio-of-baseline-rps	     10238 reference-rps	   41889 B/op	     434 allocs/op
BenchmarkWorldLoadMemory250k-2   	       1	5946699115 ns/op	        30.20 json-MiB	         3.35 json-s-per-50MiB	         7.504 json-x-file	        31.53 yaml-MiB	         6.15 yaml-s-per-50MiB	         6.901 yaml-x-file
BenchmarkPlan100k-2   	       1	2497280245 ns/op	236405704 B/op	 1039350 allocs/op
BenchmarkHandlerAdd-2                	   91461	     13860 ns/op	    7879 B/op	      66 allocs/op
BenchmarkExhaustiveAgainstBaseline-2   	       1	2081222571 ns/op	     14310 baseline-req/s	     12778 engine-req/s	         0.8929 ratio	689341448 B/op	 7158533 allocs/op
--- BENCH: BenchmarkExhaustiveAgainstBaseline-2
    exhaustive_bench_test.go:99: 100 instances: live heap
BenchmarkExhaustiveMemory-2            	       1	23951006023 ns/op	         0.95 p95-MiB-10k-pairs	         1.03 p95-MiB-250k-pairs	         1.08 ratio
ok  	github.com/snaprepo/conform/suite	26.496s
`

func run(t *testing.T, output string) (string, bool) {
	t.Helper()
	res, err := parse(strings.NewReader(output))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	ok := write(&b, judge(res))
	return b.String(), ok
}

func TestEveryGoalMetIsSaidSo(t *testing.T) {
	out, ok := run(t, sample)
	if !ok || strings.Contains(out, "MISSED") || strings.Contains(out, "NOT RUN") || strings.Count(out, "  met ") != len(goals) {
		t.Errorf("all met: %v\n%s", ok, out)
	}
	if !regexp.MustCompile(`met +BenchmarkEvaluatePairAgainstPlainGo +ratio +2\.262 +goal ≤ 3 `).MatchString(out) ||
		!regexp.MustCompile(`met +BenchmarkMatrix100k +s/op +0\.1999 +goal ≤ 1 `).MatchString(out) {
		t.Errorf("the table does not show the figure beside its goal:\n%s", out)
	}
}

// A figure past its bound, on either side, is a missed goal; a bound itself
// is met.
func TestAFigurePastItsBoundIsMissed(t *testing.T) {
	tests := []struct {
		from, to string
		met      bool
	}{
		{"2.262 ratio", "3.01 ratio", false},
		{"2.262 ratio", "3 ratio", true},
		{"0 allocs/op", "1 allocs/op", false},
		{"0.8929 ratio", "0.49 ratio", false},
		{"0.8929 ratio", "0.5 ratio", true},
		{"1.08 ratio", "1.21 ratio", false},
		{"1.08 ratio", "0.79 ratio", false},
		{"1.08 ratio", "0.8 ratio", true},
		{"1.127 rss-ratio", "1.3 rss-ratio", false},
		{"66 allocs/op", "71 allocs/op", false},
		{"199947610 ns/op", "1000000001 ns/op", false},
	}
	for _, tt := range tests {
		if !strings.Contains(sample, tt.from) {
			t.Fatalf("sample lacks %q", tt.from)
		}
		out, ok := run(t, strings.Replace(sample, tt.from, tt.to, 1))
		if ok != tt.met || strings.Contains(out, "MISSED") == tt.met {
			t.Errorf("%s instead of %s: all met %v, want %v\n%s", tt.to, tt.from, ok, tt.met, out)
		}
	}
}

// A goal whose benchmark did not run is not met.
func TestAGoalNotMeasuredIsNotMet(t *testing.T) {
	var kept []string
	for line := range strings.Lines(sample) {
		if !strings.HasPrefix(line, "BenchmarkHandlerAdd") {
			kept = append(kept, line)
		}
	}
	out, ok := run(t, strings.Join(kept, ""))
	if ok || !strings.Contains(out, "NOT RUN BenchmarkHandlerAdd") {
		t.Errorf("all met %v:\n%s", ok, out)
	}
}

func TestAFigureThatIsNoNumberIsAnError(t *testing.T) {
	_, err := parse(strings.NewReader("BenchmarkHandlerAdd-2   10   x ns/op\n"))
	if err == nil || !strings.Contains(err.Error(), `BenchmarkHandlerAdd: figure "x"`) {
		t.Errorf("err %v", err)
	}
}
