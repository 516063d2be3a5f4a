package suite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/checks"
)

// Concurrency is checked for linearizability with porcupine (the checker
// etcd's robustness tests use): clients on their own connections run random
// adds, deletes and lists on shared destinations at once, and the history
// must be explainable as the operations taking effect one at a time, each
// between its request and its answer, against the model of a set of
// sources per destination.

// linOp is one operation of a concurrent history.
type linOp struct {
	kind         stepKind // stepAdd, stepDelete or stepList
	dest, source string
}

// linOut is what the implementation answered.
type linOut struct {
	accepted bool
	// listed is the sorted list a list answered.
	listed string
	// bad is an answer the model cannot take (a 5xx, a list that is not
	// one): never legal.
	bad bool
}

// linModel is the model: per destination (a partition), the sorted set of
// its sources, starting from the world's repositories.
func linModel(initial map[string][]string) porcupine.Model {
	key := func(sources []string) string {
		s := slices.Clone(sources)
		sort.Strings(s)
		return strings.Join(s, ",")
	}
	const unset = "\x00unset"
	return porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			by := map[string][]porcupine.Operation{}
			var order []string
			for _, op := range h {
				d := op.Input.(linOp).dest
				if _, ok := by[d]; !ok {
					order = append(order, d)
				}
				by[d] = append(by[d], op)
			}
			out := make([][]porcupine.Operation, 0, len(order))
			for _, d := range order {
				out = append(out, by[d])
			}
			return out
		},
		Init: func() any { return unset },
		Step: func(state, input, output any) (bool, any) {
			in, out := input.(linOp), output.(linOut)
			st := state.(string)
			if st == unset {
				st = key(initial[in.dest])
			}
			if out.bad {
				return false, st
			}
			var set []string
			if st != "" {
				set = strings.Split(st, ",")
			}
			has := slices.Contains(set, in.source)
			switch in.kind {
			case stepAdd:
				switch {
				case out.accepted:
					if !has {
						set = append(set, in.source)
					}
					return true, key(set)
				default:
					// A compatible source may be refused only when it is
					// there already (a repeated add is open).
					return has, st
				}
			case stepDelete:
				switch {
				case out.accepted && has:
					return true, key(slices.DeleteFunc(set, func(x string) bool { return x == in.source }))
				case out.accepted, !has:
					// Deleting what is not there: success or a refusal (open).
					return true, st
				default:
					return false, st
				}
			}
			return out.listed == st, st
		},
		Equal: func(a, b any) bool { return a == b },
		DescribeOperation: func(input, output any) string {
			in, out := input.(linOp), output.(linOut)
			switch in.kind {
			case stepAdd:
				return fmt.Sprintf("add %s to %s: %v", in.source, in.dest, out.accepted)
			case stepDelete:
				return fmt.Sprintf("delete %s from %s: %v", in.source, in.dest, out.accepted)
			}
			return fmt.Sprintf("list %s: [%s]", in.dest, out.listed)
		},
		DescribeState: func(state any) string { return "[" + state.(string) + "]" },
	}
}

// linClients, linOps: how many clients run at once and how many operations
// each sends (more with --thorough).
const (
	linClients = 4
	linOps     = 12
)

// randomPlans are each client's random operations on dests. Lists run
// among the writes only when the implementation must show a write at once
// (--settle 0); otherwise each destination is listed once all writes are
// answered (listsExplain).
func (e *env) randomPlans(rng *rand.Rand, dests []*checks.Instance, sources map[string][]string, clients, ops int) [][]linOp {
	plans := make([][]linOp, clients)
	for c := range plans {
		for range ops {
			d := dests[rng.IntN(len(dests))]
			src := sources[d.ID][rng.IntN(len(sources[d.ID]))]
			kind := []stepKind{stepAdd, stepAdd, stepAdd, stepDelete, stepDelete, stepList}[rng.IntN(6)]
			if kind == stepList && e.cfg.Settle > 0 {
				kind = stepAdd
			}
			plans[c] = append(plans[c], linOp{kind: kind, dest: d.ID, source: src})
		}
	}
	return plans
}

// burstPlans open the history: every client adds its own source to one
// destination, all released at once — different sources added together,
// the race a read-modify-write store loses, is in every history, and is
// listed before later writes can hide it.
func burstPlans(dest string, sources []string, clients int) [][]linOp {
	plans := make([][]linOp, clients)
	for c := range plans {
		plans[c] = []linOp{{kind: stepAdd, dest: dest, source: sources[c%len(sources)]}}
	}
	return plans
}

// runPlans runs each plan on a client of its own connection, all released
// at once, and returns their history, timed from start.
func (e *env) runPlans(ctx context.Context, start time.Time, plans [][]linOp) []porcupine.Operation {
	var mu sync.Mutex
	var history []porcupine.Operation
	record := func(client int, in linOp, call time.Time, out linOut) {
		mu.Lock()
		defer mu.Unlock()
		history = append(history, porcupine.Operation{ClientId: client, Input: in, Call: call.Sub(start).Nanoseconds(), Output: out, Return: time.Since(start).Nanoseconds()})
	}
	do := func(c *apiclient.Client, client int, in linOp) {
		call := time.Now()
		var r *apiclient.Request
		switch in.kind {
		case stepAdd:
			r = apiclient.AddJSON(in.dest, in.source)
		case stepDelete:
			r = apiclient.Delete(in.dest, in.source)
		default:
			r = apiclient.List(in.dest)
		}
		resp, err := c.Do(ctx, r)
		out := linOut{bad: err != nil}
		if err == nil {
			out.accepted = accepted(resp)
			out.bad = resp.Status >= 500 || (!out.accepted && len(refusedProblems(resp, "")) > 0)
			if in.kind == stepList {
				out.listed, out.bad = listedKey(resp)
			}
		}
		record(client, in, call, out)
	}
	var wg, ready sync.WaitGroup
	release := make(chan struct{})
	for client, plan := range plans {
		c := e.client.With(*e.cfg.Credentials, e.cfg.Signature)
		c.HTTP = apiclient.NewHTTPClient(e.cfg.Timeout)
		ready.Add(1)
		wg.Go(func() {
			defer GinkgoRecover()
			ready.Done()
			<-release
			for _, in := range plan {
				do(c, client, in)
			}
		})
	}
	ready.Wait()
	close(release)
	wg.Wait()
	return history
}

// listsExplain lists each of dests once every write of history is
// answered and checks the history with the lists against the model,
// listing again until it is linearizable or the settle time passes (a list
// may show writes late). It returns the history with the lists, and
// porcupine's account of it.
func (e *env) listsExplain(ctx context.Context, model porcupine.Model, history []porcupine.Operation, dests []*checks.Instance, client int, start time.Time) ([]porcupine.Operation, porcupine.CheckResult, porcupine.LinearizationInfo) {
	written := len(history)
	deadline := time.Now().Add(e.cfg.Settle)
	for {
		history = history[:written]
		for _, d := range dests {
			call := time.Now()
			resp, err := e.client.Do(ctx, apiclient.List(d.ID))
			out := linOut{bad: err != nil}
			if err == nil {
				out.listed, out.bad = listedKey(resp)
			}
			history = append(history, porcupine.Operation{ClientId: client, Input: linOp{kind: stepList, dest: d.ID}, Call: call.Sub(start).Nanoseconds(), Output: out, Return: time.Since(start).Nanoseconds()})
		}
		result, info := porcupine.CheckOperationsVerbose(model, history, 10*time.Second)
		if result != porcupine.Illegal || !time.Now().Before(deadline) || ctx.Err() != nil {
			return history, result, info
		}
		time.Sleep(settlePoll)
	}
}

// listedKey is a list answer as the model's state, or bad.
func listedKey(resp *apiclient.Response) (string, bool) {
	repos, err := resp.Repos()
	if resp.Status != 200 || err != nil {
		return "", true
	}
	var got []string
	for _, r := range repos {
		got = append(got, r.RepoPath)
	}
	sort.Strings(got)
	return strings.Join(got, ","), false
}

// checkLinearizable is ROB-CONCURRENT's body: clients on their own
// connections send random adds, deletes and lists at once, and the history
// must be linearizable against the model.
func (e *env) checkLinearizable(ctx SpecContext) {
	pools := e.needPools()
	dests := pools.dests[:min(2, len(pools.dests))]
	sources := map[string][]string{}
	initial := map[string][]string{}
	m := e.newModel(pools)
	for _, d := range dests {
		initial[d.ID] = m.repos[d.ID]
		for _, s := range pools.srcs {
			if v := e.cases.expect(d.ID, s.ID); v.Compatible() && e.usable(d, s) && len(sources[d.ID]) < 3 {
				sources[d.ID] = append(sources[d.ID], s.ID)
			}
		}
		if len(sources[d.ID]) == 0 {
			use(found{missing: "a destination of the state pools with a compatible source"})
		}
	}
	e.resetPools(ctx, pools, nil)
	e.startClean(ctx, pools)
	defer e.resetPools(ctx, pools, nil)
	clients, ops := linClients, linOps
	if e.cfg.Thorough {
		clients, ops = 2*clients, 4*ops
	}
	rng := rand.New(rand.NewPCG(uint64(GinkgoRandomSeed()), 0x11ea))
	model := linModel(initial)
	start := time.Now()
	history := e.runPlans(ctx, start, burstPlans(dests[0].ID, sources[dests[0].ID], clients))
	history, result, info := e.listsExplain(ctx, model, history, dests[:1], clients, start)
	if result != porcupine.Illegal {
		history = append(history, e.runPlans(ctx, start, e.randomPlans(rng, dests, sources, clients, ops))...)
		history, result, info = e.listsExplain(ctx, model, history, dests, clients, start)
	}
	if result != porcupine.Illegal {
		return
	}
	where := ""
	if path := e.cfg.HistoryReport; path != "" {
		if err := porcupine.VisualizePath(model, info, path); err == nil {
			where = "\nthe history, drawn: " + path
		}
	}
	fail(fmt.Sprintf("[%s] %d operations of %d clients at once are not linearizable: no order of them, each taking effect between its request and its answer, explains the answers\n%s%s",
		ids(), len(history), clients, describeHistory(model, history), where))
}

// describeHistory is the history, one operation a line in the order sent,
// at most 60 lines.
func describeHistory(model porcupine.Model, history []porcupine.Operation) string {
	h := slices.Clone(history)
	slices.SortFunc(h, func(a, b porcupine.Operation) int { return int(a.Call - b.Call) })
	var b strings.Builder
	for i, op := range h {
		if i == 60 {
			fmt.Fprintf(&b, "  … and %d more\n", len(h)-60)
			break
		}
		when := fmt.Sprintf("%7.1f–%7.1f ms", float64(op.Call)/1e6, float64(op.Return)/1e6)
		fmt.Fprintf(&b, "  client %d %s %s\n", op.ClientId, when, model.DescribeOperation(op.Input, op.Output))
	}
	return b.String()
}
