// Command benchgoals reads the output of `go test -bench` and prints, for
// every speed goal of the project, the figure measured, the goal and whether
// it was met. It exits 1 when a goal was missed or its benchmark did not
// run, so that `make bench` says in one table what the README's speed table
// claims.
//
// Usage: go test -run '^$' -bench . -benchmem ./... | go run ./internal/cmd/benchgoals
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// goal is one speed goal: a benchmark's metric and the bounds it must keep.
type goal struct {
	benchmark, metric string
	// min and max bound the figure, both included; none is an open bound.
	min, max float64
	// says is the goal in words, as the README's table states it.
	says string
}

// none is an open bound, below or above.
var none = math.Inf(1)

// goals are the project's speed goals, one definition (README's speed table
// quotes them).
var goals = []goal{
	{"BenchmarkEvaluatePairAgainstPlainGo", "ratio", -none, 3, "one pair evaluation ≤ 3 × plain Go on the same pair"},
	{"BenchmarkEvaluatePairAgainstPlainGo", "allocs/op", -none, 0, "… with 0 allocations"},
	{"BenchmarkMatrix100k", "ns/op", -none, 1e9, "--matrix over 100,000 instances ≤ 1 s"},
	{"BenchmarkCheckMatrixCommand100k", "ns/op", -none, 5e9, "check --matrix -o json on 100,000 instances < 5 s"},
	{"BenchmarkExhaustiveAgainstBaseline", "ratio", 0.5, none, "exhaustive throughput ≥ 0.5 × the same requests bare"},
	{"BenchmarkExhaustiveProcessAgainstBaseline", "ratio", 0.5, none, "a whole conform run --exhaustive process, 120 instances, ≥ 0.5 × the pairs/s of a plain loop to the same server"},
	{"BenchmarkExhaustiveMemory", "ratio", 0.8, 1.2, "exhaustive heap flat from 10k to 250k pairs, ±20 %"},
	{"BenchmarkExhaustiveProcessRSS", "rss-ratio", 0.8, 1.2, "exhaustive process peak RSS flat, 10k to 62.5k pairs, ±20 %"},
	{"BenchmarkLoopbackAgainstBaseline", "ratio-of-baseline-rps", 0.5, none, "signed AddSnapshotRepo ≥ 0.5 × a bare handler's throughput"},
	{"BenchmarkPlan100k", "ns/op", -none, 5e9, "conform plan: 10,000 upgrades of 100,000 instances holding 1,000,000 references < 5 s"},
	{"BenchmarkWorldLoadMemory250k", "yaml-x-file", -none, 20, "loading a YAML world of 250,000 instances: peak heap ≤ 20 × the file"},
	{"BenchmarkWorldLoadMemory250k", "json-x-file", -none, 10, "… a JSON one ≤ 10 × the file"},
	{"BenchmarkWorldLoadMemory250k", "yaml-s-per-50MiB", -none, 10, "… 50 MiB of YAML in ≤ 10 s"},
	{"BenchmarkWorldLoadMemory250k", "json-s-per-50MiB", -none, 10, "… 50 MiB of JSON in ≤ 10 s"},
	{"BenchmarkHandlerAdd", "allocs/op", -none, 70, "the AddSnapshotRepo handler ≤ 70 allocations"},
}

// results are the figures of a benchmark run: benchmark name (without the
// -GOMAXPROCS suffix) → unit → value.
type results map[string]map[string]float64

// parse reads `go test -bench` output. A benchmark reported twice (-count)
// keeps its last figures.
func parse(r io.Reader) (results, error) {
	out := results{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(fields[1]); err != nil {
			continue // a benchmark's log line, not its result
		}
		name := fields[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		figures := map[string]float64{}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark %s: figure %q is not a number", name, fields[i])
			}
			figures[fields[i+1]] = v
		}
		out[name] = figures
	}
	return out, sc.Err()
}

// verdict is how one goal fared: the figure, whether it was measured and met.
type verdict struct {
	goal
	figure         float64
	measured, meet bool
}

// judge holds every goal against the results.
func judge(res results) []verdict {
	var out []verdict
	for _, g := range goals {
		v := verdict{goal: g}
		v.figure, v.measured = res[g.benchmark][g.metric]
		v.meet = v.measured && v.figure >= g.min && v.figure <= g.max
		out = append(out, v)
	}
	return out
}

// shown is how the table writes a metric: nanoseconds as seconds.
func shown(metric string, x float64) (string, float64) {
	if metric == "ns/op" {
		return "s/op", x / 1e9
	}
	return metric, x
}

// bounds is the goal's bounds in the unit the table shows.
func (g goal) bounds() string {
	_, lo := shown(g.metric, g.min)
	_, hi := shown(g.metric, g.max)
	switch {
	case math.IsInf(lo, -1):
		return fmt.Sprintf("≤ %g", hi)
	case math.IsInf(hi, 1):
		return fmt.Sprintf("≥ %g", lo)
	}
	return fmt.Sprintf("%g … %g", lo, hi)
}

// write prints the table and reports whether every goal was met.
func write(w io.Writer, verdicts []verdict) bool {
	all := true
	fmt.Fprintln(w, "\nspeed goals (README, Speed):")
	for _, v := range verdicts {
		metric, x := shown(v.metric, v.figure)
		state, figure := "met", strconv.FormatFloat(x, 'g', 4, 64)
		switch {
		case !v.measured:
			state, figure = "NOT RUN", "–"
		case !v.meet:
			state = "MISSED"
		}
		all = all && v.meet
		fmt.Fprintf(w, "  %-7s %-36s %-22s %8s  goal %-9s  %s\n", state, v.benchmark, metric, figure, v.bounds(), v.says)
	}
	return all
}

func main() {
	res, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchgoals:", err)
		os.Exit(2)
	}
	if !write(os.Stdout, judge(res)) {
		fmt.Println("a speed goal was missed or not measured")
		os.Exit(1)
	}
	fmt.Println("every speed goal met")
}
