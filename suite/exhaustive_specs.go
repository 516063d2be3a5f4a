package suite

import (
	"context"
	"fmt"
	"github.com/snaprepo/conform/report"
	"slices"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/checks"
)

// maxListedPairs is how many disagreeing pairs one failure lists; the rest
// are counted.
const maxListedPairs = 20

// exhaustiveSpecs compares every ordered (destination, source) pair of the
// world with the oracle. Pairs are not one spec each: per destination and
// per requirement that decides its pairs there is one spec, whose pairs are
// found when it runs and sent through a bounded pool of workers, so memory
// does not grow with the number of pairs and the implementation, not the
// suite, sets the pace. Every disagreeing pair is reported, with the
// oracle's reason.
func (e *env) exhaustiveSpecs() {
	Describe("exhaustive", func() {
		w := e.cfg.World
		for i := range w.Instances {
			d := w.Instances[i].ID
			for _, id := range e.decidingIDs(d) {
				e.it(id, fmt.Sprintf("every pair with destination %s, as the oracle decides it", d), func(ctx SpecContext) {
					if e.cfg.DryRun {
						planned()
					}
					if bad := e.comparePairs(ctx, d, id); len(bad) > 0 {
						shown := bad[:min(len(bad), maxListedPairs)]
						more := ""
						if len(bad) > len(shown) {
							more = fmt.Sprintf("\n  … and %d more", len(bad)-len(shown))
						}
						fail(fmt.Sprintf("[%s] %d pair(s) with destination %s disagree with the oracle:\n  - %s%s", ids(), len(bad), d, strings.Join(shown, "\n  - "), more))
					}
				})
			}
		}
	})
}

// decidingIDs are the requirements that decide the pairs with destination
// d: the deciding rule's ID, OK-CREATED for compatible pairs; a rule without
// a requirement of the catalogue counts as OK-CREATED.
func (e *env) decidingIDs(d string) []string {
	var out []string
	w := e.cfg.World
	for j := range w.Instances {
		id, _, ok := e.pairCase(d, w.Instances[j].ID)
		if ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// exhaustiveTally is what the exhaustive specs compared, against what the
// world holds: every ordered pair is due (pairCase keeps it), or left out as
// a repository of the world or, failing that, as undecided.
func (e *env) exhaustiveTally() *report.Exhaustive {
	w := e.cfg.World
	x := &report.Exhaustive{Pairs: len(w.Instances) * len(w.Instances)}
	due := 0
	for i := range w.Instances {
		for j := range w.Instances {
			d, s := w.Instances[i].ID, w.Instances[j].ID
			switch _, _, ok := e.pairCase(d, s); {
			case ok:
				due++
			case e.cases.existing[[2]string{d, s}]:
				x.Existing++
			default:
				x.Undecided++
			}
		}
	}
	x.Compared, x.Disagreeing = int(e.compared.Load()), int(e.disagreeing.Load())
	x.NotCompared = max(0, due-x.Compared)
	return x
}

// pairCase is the requirement that decides (d, s) and the oracle's verdict;
// ok is false for pairs the exhaustive run leaves out: repositories of the
// world, and pairs the oracle cannot decide.
func (e *env) pairCase(d, s string) (string, checks.Verdict, bool) {
	v := e.cases.expect(d, s)
	if e.cases.existing[[2]string{d, s}] || v.Decision() == checks.Undecided {
		return "", v, false
	}
	id := "OK-CREATED"
	if k := v.Deciding(); k >= 0 {
		id = checks.Rules()[k].ID
	}
	if _, known := e.cat.Lookup(id); !known {
		id = "OK-CREATED"
	}
	return id, v, true
}

// comparePairs sends AddSnapshotRepo for every pair of destination d that
// requirement id decides, with cfg.Parallel workers, and returns each
// disagreement as a sentence naming the pair, what the oracle expects and
// why, and what came back. A pair the implementation accepted is deleted
// again before the next.
func (e *env) comparePairs(ctx context.Context, d, id string) []string {
	type job struct {
		source  string
		verdict checks.Verdict
	}
	work := make(chan job)
	var mu sync.Mutex
	var bad []string
	var wg sync.WaitGroup
	for range max(1, e.cfg.Parallel) {
		wg.Go(func() {
			for j := range work {
				why := e.comparePair(ctx, d, j.source, &j.verdict)
				e.compared.Add(1)
				if why != "" {
					e.disagreeing.Add(1)
					mu.Lock()
					bad = append(bad, why)
					mu.Unlock()
				}
			}
		})
	}
	for _, inst := range e.cfg.World.Instances {
		if pid, v, ok := e.pairCase(d, inst.ID); ok && pid == id {
			select {
			case work <- job{inst.ID, v}:
			case <-ctx.Done():
			}
		}
	}
	close(work)
	wg.Wait()
	slices.Sort(bad)
	return bad
}

// comparePair is "" when the implementation answers (d, s) as the oracle
// says, else what went wrong.
func (e *env) comparePair(ctx context.Context, d, s string, v *checks.Verdict) string {
	resp, err := e.client.Do(ctx, apiclient.AddJSON(d, s))
	if err != nil {
		return fmt.Sprintf("%s ← %s: %v", d, s, err)
	}
	if accepted(resp) && e.cfg.has(CapDelete) {
		e.client.Do(ctx, apiclient.Delete(d, s))
	}
	var p problems
	want := ""
	switch {
	case sourceStatusOpen(v):
		// The documentation says nothing of the source's own status:
		// accepting and refusing both pass.
		p, want = answeredProblems(resp), wantAnswered
	case v.Compatible():
		p, want = successProblems(resp), wantSuccess
	case documented(v) != "" && !e.cases.elsewhere(d):
		e := v.APIError()
		p, want = errorProblems(resp, e.Status, e.Code, e.Message), fmt.Sprintf("%d %s %q", e.Status, e.Code, e.Message)
	default:
		p, want = refusedProblems(resp, ""), wantRefused("")
	}
	if len(p) == 0 {
		return ""
	}
	reason := "compatible"
	if k := v.Deciding(); k >= 0 {
		reason = v.Message(k)
	}
	return fmt.Sprintf("%s ← %s: want %s (%s); got %d Code %q: %s", d, s, want, reason, resp.Status, resp.Code, strings.Join(p, "; "))
}
