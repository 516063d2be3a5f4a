package suite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
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

// concurrentHistory runs the clients and returns their history. Lists run
// among the writes only when the implementation must show a write at
// once (--settle 0); otherwise each destination is listed once all writes
// are answered, until the list explains the history or the settle time
// passes.
func (e *env) concurrentHistory(ctx context.Context, rng *rand.Rand, dests []*checks.Instance, sources map[string][]string, clients, ops int) []porcupine.Operation {
	start := time.Now()
	var mu sync.Mutex
	var history []porcupine.Operation
	record := func(client int, in linOp, call time.Time, out linOut) {
		mu.Lock()
		defer mu.Unlock()
		history = append(history, porcupine.Operation{ClientId: client, Input: in, Call: call.Sub(start).Nanoseconds(), Output: out, Return: time.Since(start).Nanoseconds()})
	}
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
	var wg sync.WaitGroup
	for client, plan := range plans {
		c := e.client.With(*e.cfg.Credentials, e.cfg.Signature)
		c.HTTP = &http.Client{Transport: apiclient.NewTransport(e.cfg.Timeout)}
		wg.Go(func() {
			defer GinkgoRecover()
			for _, in := range plan {
				do(c, client, in)
			}
		})
	}
	wg.Wait()
	return history
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

func (e *env) linearizabilitySpec() {
	e.it("ROB-CONCURRENT", "random adds, deletes and lists from clients on their own connections, at once, are linearizable against the model", func(ctx SpecContext) {
		e.need(CapList, CapDelete)
		pools, ok := e.statePools()
		if !ok {
			use(found{missing: fmt.Sprintf("the world cannot exercise this: add a destination of account %s in %s with four sources no newer than it", e.account, e.cfg.Region)})
		}
		if e.cfg.DryRun {
			planned()
		}
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
		history := e.concurrentHistory(ctx, rng, dests, sources, clients, ops)
		model := linModel(initial)
		// The final lists, once every write is answered: polled until the
		// history explains them, or the settle time passes.
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
				history = append(history, porcupine.Operation{ClientId: clients, Input: linOp{kind: stepList, dest: d.ID}, Call: 1 << 62, Output: out, Return: 1<<62 + int64(time.Since(call))})
			}
			result, info := porcupine.CheckOperationsVerbose(model, history, 10*time.Second)
			if result != porcupine.Illegal {
				return
			}
			if time.Now().Before(deadline) && ctx.Err() == nil {
				time.Sleep(settlePoll)
				continue
			}
			where := ""
			if path := e.cfg.HistoryReport; path != "" {
				if err := porcupine.VisualizePath(model, info, path); err == nil {
					where = "\nthe history, drawn: " + path
				}
			}
			fail(fmt.Sprintf("[%s] %d operations of %d clients at once are not linearizable: no order of them, each taking effect between its request and its answer, explains the answers\n%s%s",
				ids(), written, clients, describeHistory(model, history), where))
		}
	})
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
		if op.Call >= 1<<62 {
			when = "at the end       "
		}
		fmt.Fprintf(&b, "  client %d %s %s\n", op.ClientId, when, model.DescribeOperation(op.Input, op.Output))
	}
	return b.String()
}
