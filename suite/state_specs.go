package suite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/checks"
)

// The state model (STATE-MODEL): random sequences of operations on a few
// destinations and sources, each answer checked against a model — the rules
// engine for what may be added, a map for what is there. A failing sequence
// is shrunk to the shortest one that still fails, and printed as numbered
// requests and answers with the seed that replays it.
//
// The generator is the suite's own rather than a property-testing library's:
// the run must be replayable from conform run --seed alone, outside go test,
// without flags or files of a library's.

// stepKind is one operation of a sequence.
type stepKind uint8

const (
	stepAdd stepKind = iota
	stepDelete
	stepList
	stepAlternatives
	stepDescribe
)

// step is one operation with its arguments, as indexes into the pools.
type step struct {
	kind       stepKind
	dest, src  int
	alreadySet bool
	// byDefault sends alternatives without alreadySetItems: the SDK
	// models' default, true.
	byDefault bool
}

// model is what the implementation must hold: per destination, the sources
// it references, starting from the world's repositories; and the pairs
// whose adds were refused in this sequence, whose appearance in a list is a
// refusal's side effect (RULE-NO-SIDE-EFFECT), not a disagreement.
type model struct {
	repos   map[string][]string
	refused map[[2]string]*apiclient.Response
}

// newModel is the model of the world's state for the pools' destinations.
func (e *env) newModel(pools statePools) *model {
	m := &model{repos: map[string][]string{}, refused: map[[2]string]*apiclient.Response{}}
	for _, d := range pools.dests {
		for _, r := range e.cfg.World.Repos {
			if r.Instance == d.ID {
				m.repos[d.ID] = append(m.repos[d.ID], r.RepoPath)
			}
		}
	}
	return m
}

func (m *model) has(d, s string) bool { return slices.Contains(m.repos[d], s) }

// statePools are the destinations and sources sequences use: destinations
// of the caller in the endpoint's region — those that hold repositories of
// the world first, so their lists are checked against the world's state —
// each with sources the rules accept and refuse; the world's repositories
// are listed, never added or deleted.
type statePools struct {
	dests, srcs []*checks.Instance
}

func (e *env) statePools() (statePools, bool) {
	var p statePools
	w := e.cfg.World
	holds := map[string]bool{}
	for _, r := range w.Repos {
		holds[r.Instance] = true
	}
	order := make([]*checks.Instance, 0, len(w.Instances))
	for i := range w.Instances {
		if holds[w.Instances[i].ID] {
			order = append(order, &w.Instances[i])
		}
	}
	for i := range w.Instances {
		if !holds[w.Instances[i].ID] {
			order = append(order, &w.Instances[i])
		}
	}
	for _, d := range order {
		if e.cases.destination(d.ID) == nil || d.Status != checks.StatusActive {
			continue
		}
		compatible := 0
		for j := range w.Instances {
			s := &w.Instances[j]
			if v := e.cases.expect(d.ID, s.ID); v.Compatible() && !e.cases.existing[[2]string{d.ID, s.ID}] {
				compatible++
			}
		}
		if compatible >= 4 {
			p.dests = append(p.dests, d)
		}
		if len(p.dests) == 3 {
			break
		}
	}
	if len(p.dests) == 0 {
		return p, false
	}
	// Sources: six the first destination may reference (enough to fill it
	// past a handful of repositories), then two it may not, so refusals are
	// drawn as well as successes.
	var refused []*checks.Instance
	for i := range w.Instances {
		s := &w.Instances[i]
		if s.Account != e.account || !e.usable(p.dests[0], s) {
			continue
		}
		if v := e.cases.expect(p.dests[0].ID, s.ID); v.Compatible() {
			if len(p.srcs) < 6 {
				p.srcs = append(p.srcs, s)
			}
		} else if len(refused) < 2 {
			refused = append(refused, s)
		}
	}
	p.srcs = append(p.srcs, refused...)
	return p, true
}

// usable reports whether a pair may be sent in a sequence: not a repository
// of the world (the suite never removes those), and decided by the rules.
func (e *env) usable(d, s *checks.Instance) bool {
	v := e.cases.expect(d.ID, s.ID)
	return !e.cases.existing[[2]string{d.ID, s.ID}] && v.Decision() != checks.Undecided
}

func (e *env) generate(rng *rand.Rand, pools statePools, n int) []step {
	var kinds []stepKind
	kinds = append(kinds, stepAdd, stepAdd, stepAdd, stepDelete, stepDelete, stepList)
	if e.cfg.has(CapAlternatives) {
		kinds = append(kinds, stepAlternatives)
	}
	if e.cfg.has(CapDescribe) {
		kinds = append(kinds, stepDescribe)
	}
	var out []step
	for len(out) < n {
		// Most steps go to the first destination, so that sequences build up
		// several repositories on one, as real use does.
		dest := 0
		if rng.IntN(3) == 0 {
			dest = rng.IntN(len(pools.dests))
		}
		st := step{kind: kinds[rng.IntN(len(kinds))], dest: dest, src: rng.IntN(len(pools.srcs)), alreadySet: rng.IntN(2) == 0}
		if st.kind == stepAlternatives && rng.IntN(3) == 0 {
			st.alreadySet, st.byDefault = apiclient.AlreadySetItemsDefault(), true
		}
		if (st.kind == stepAdd || st.kind == stepDelete) && !e.usable(pools.dests[st.dest], pools.srcs[st.src]) {
			continue
		}
		out = append(out, st)
	}
	return out
}

// stateFailure is a sequence that failed: after which step, and why.
// sideEffect is set when what failed is a refusal's leftover, which is
// RULE-NO-SIDE-EFFECT's to report.
type stateFailure struct {
	at         int
	why        string
	log        []string
	sideEffect bool
}

// runSequence resets the pool's pairs, then sends steps and checks each
// answer against the model; it returns the first disagreement, or nil.
func (e *env) runSequence(ctx context.Context, pools statePools, steps []step) *stateFailure {
	m := e.newModel(pools)
	var log []string
	defer e.resetPools(ctx, pools, steps)
	for i, st := range steps {
		d, s := pools.dests[st.dest], pools.srcs[st.src]
		r, check := e.stepRequest(st, d, s, m)
		// A read may show the writes before it late (the reference promises
		// no read-after-write): it is sent again until it agrees or the
		// settle time passes.
		read := st.kind == stepList || st.kind == stepAlternatives
		var resp *apiclient.Response
		var why string
		start := time.Now()
		for {
			var err error
			resp, err = e.client.Do(ctx, r)
			if err != nil {
				log = append(log, fmt.Sprintf("%2d. %s %s → no answer: %v", i+1, r.Method, r.Path+query(r), err))
				return &stateFailure{at: i, why: err.Error(), log: log}
			}
			why = check(resp)
			if why == "" || !read || time.Since(start) >= e.cfg.Settle || ctx.Err() != nil {
				break
			}
			time.Sleep(settlePoll)
		}
		log = append(log, fmt.Sprintf("%2d. %s %s%s → %d %s %s", i+1, r.Method, r.Path, query(r), resp.Status, resp.Code, resp.Excerpt(160)))
		if why != "" {
			return &stateFailure{at: i, why: why, log: log, sideEffect: strings.HasPrefix(why, leftoverPrefix)}
		}
	}
	return nil
}

// leftoverPrefix starts the disagreement of a list that holds what a refused
// add of the sequence left behind.
const leftoverPrefix = "a refused add left "

func query(r *apiclient.Request) string {
	if len(r.Query) == 0 {
		if len(r.Body) > 0 {
			return " " + string(r.Body)
		}
		return ""
	}
	return "?" + r.Query.Encode()
}

// stepRequest is the request of one step and the check of its answer; the
// check updates the model when the answer is right.
func (e *env) stepRequest(st step, d, s *checks.Instance, m *model) (*apiclient.Request, func(*apiclient.Response) string) {
	switch st.kind {
	case stepAdd:
		v := e.cases.expect(d.ID, s.ID)
		return apiclient.AddJSON(d.ID, s.ID), func(resp *apiclient.Response) string {
			switch {
			case sourceStatusOpen(&v) && !accepted(resp):
				// Refusing a source for its own status is the implementation's choice.
				if p := refusedProblems(resp, ""); len(p) > 0 {
					return fmt.Sprintf("adding %s (%s) to %s: want %s: %s", s.ID, s.Status, d.ID, wantAnswered, strings.Join(p, "; "))
				}
				m.refused[[2]string{d.ID, s.ID}] = resp
			case sourceStatusOpen(&v):
				if !m.has(d.ID, s.ID) {
					m.repos[d.ID] = append(m.repos[d.ID], s.ID)
				}
			case !v.Compatible():
				if p := refusedProblems(resp, ""); len(p) > 0 {
					return fmt.Sprintf("adding %s to %s must be refused (%s): %s", s.ID, d.ID, v.Message(v.Deciding()), strings.Join(p, "; "))
				}
				m.refused[[2]string{d.ID, s.ID}] = resp
			case m.has(d.ID, s.ID):
				// A repeated add: success or a refusal (open), one entry.
				if p := answeredProblems(resp); len(p) > 0 {
					return fmt.Sprintf("adding %s to %s again: want %s: %s", s.ID, d.ID, wantAnswered, strings.Join(p, "; "))
				}
			default:
				if p := successProblems(resp); len(p) > 0 {
					return fmt.Sprintf("adding %s to %s (compatible, not referenced) must succeed: %s", s.ID, d.ID, strings.Join(p, "; "))
				}
				m.repos[d.ID] = append(m.repos[d.ID], s.ID)
			}
			return ""
		}
	case stepDelete:
		return apiclient.Delete(d.ID, s.ID), func(resp *apiclient.Response) string {
			if m.has(d.ID, s.ID) {
				if p := successProblems(resp); len(p) > 0 {
					return fmt.Sprintf("deleting %s from %s, which references it, must succeed: %s", s.ID, d.ID, strings.Join(p, "; "))
				}
				m.repos[d.ID] = slices.DeleteFunc(m.repos[d.ID], func(x string) bool { return x == s.ID })
				return ""
			}
			if p := answeredProblems(resp); len(p) > 0 {
				return fmt.Sprintf("deleting %s from %s, which does not reference it: want %s: %s", s.ID, d.ID, wantAnswered, strings.Join(p, "; "))
			}
			return ""
		}
	case stepList:
		return apiclient.List(d.ID), func(resp *apiclient.Response) string {
			repos, err := resp.Repos()
			if resp.Status != 200 || err != nil {
				return fmt.Sprintf("listing %s answered %d (%v), want 200 and a list", d.ID, resp.Status, err)
			}
			var got []string
			for _, r := range repos {
				got = append(got, r.RepoPath)
			}
			want := slices.Clone(m.repos[d.ID])
			slices.Sort(got)
			slices.Sort(want)
			if slices.Equal(got, want) {
				return ""
			}
			for _, g := range got {
				if refusal, ok := m.refused[[2]string{d.ID, g}]; ok && !slices.Contains(want, g) {
					e.recordSideEffect(pair{Dest: d.ID, Source: g}, refusal)
					return fmt.Sprintf("%s%s in %s's list (reported under %s)", leftoverPrefix, g, d.ID, sideEffectID)
				}
			}
			return fmt.Sprintf("%s lists %s, the model says %s", d.ID, joinOrNone(got), joinOrNone(want))
		}
	case stepAlternatives:
		r := apiclient.Alternatives(d.ID, st.alreadySet)
		if st.byDefault {
			r = apiclient.AlternativesByDefault(d.ID)
		}
		return r, func(resp *apiclient.Response) string {
			offered, err := resp.Repos()
			if resp.Status != 200 || err != nil {
				return fmt.Sprintf("ListAlternativeSnapshotRepos of %s answered %d (%v), want 200 and a list", d.ID, resp.Status, err)
			}
			for _, r := range offered {
				if v := e.cases.expect(d.ID, r.RepoPath); v.Decision() == checks.Refused {
					return fmt.Sprintf("%s is offered to %s, but the rules refuse it: %s", r.RepoPath, d.ID, v.Message(v.Deciding()))
				}
				if !st.alreadySet && m.has(d.ID, r.RepoPath) {
					return fmt.Sprintf("with alreadySetItems=false, %s is offered to %s, which references it already", r.RepoPath, d.ID)
				}
			}
			return ""
		}
	}
	return apiclient.Describe(d.ID), func(resp *apiclient.Response) string {
		if resp.Status != 200 || !strings.Contains(string(resp.Result), `"`+d.ID+`"`) {
			return fmt.Sprintf("DescribeInstance of %s answered %d without the instance", d.ID, resp.Status)
		}
		return ""
	}
}

// resetPools deletes the pairs the steps may have added (every pair of the
// pools when steps is nil), so each sequence starts from the world's state
// and leaves it so.
func (e *env) resetPools(ctx context.Context, pools statePools, steps []step) {
	touched := map[[2]int]bool{}
	for _, st := range steps {
		if st.kind == stepAdd {
			touched[[2]int{st.dest, st.src}] = true
		}
	}
	for i, d := range pools.dests {
		for j, s := range pools.srcs {
			if steps != nil && !touched[[2]int{i, j}] {
				continue
			}
			if !e.usable(d, s) {
				continue
			}
			for range maxCleanupDeletes {
				resp, err := e.client.Do(ctx, apiclient.Delete(d.ID, s.ID))
				if err != nil || !accepted(resp) {
					break
				}
			}
		}
	}
}

// startClean ends the spec, as not run, when the reset left a pair of the
// pools behind: sequences would meet another requirement's fault (a delete
// that does not take), which verifyDeleted reports under OK-DELETED.
func (e *env) startClean(ctx context.Context, pools statePools) {
	GinkgoHelper()
	for _, d := range pools.dests {
		var sources []string
		for _, s := range pools.srcs {
			if e.usable(d, s) {
				sources = append(sources, s.ID)
			}
		}
		e.verifyDeleted(ctx, d.ID, sources, true)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, d := range pools.dests {
		for _, s := range pools.srcs {
			if why, dirty := e.dirty[[2]string{d.ID, s.ID}]; dirty {
				Skip(fmt.Sprintf("not run: started from a dirty state because %s", why))
			}
		}
	}
}

// shrink drops steps one at a time while the sequence still fails.
func (e *env) shrink(ctx context.Context, pools statePools, steps []step, f *stateFailure) ([]step, *stateFailure) {
	steps = steps[:f.at+1]
	for changed := true; changed; {
		changed = false
		for i := len(steps) - 1; i >= 0 && len(steps) > 1; i-- {
			shorter := slices.Delete(slices.Clone(steps), i, i+1)
			if g := e.runSequence(ctx, pools, shorter); g != nil && !g.sideEffect {
				steps, f, changed = shorter[:g.at+1], g, true
			}
		}
	}
	return steps, f
}

func (e *env) stateSpecs() {
	Describe("state", func() {
		e.it("STATE-MODEL", "random sequences of operations agree with the model after every step", func(ctx SpecContext) {
			e.need(CapList, CapDelete)
			pools, ok := e.statePools()
			if !ok {
				use(found{missing: fmt.Sprintf("the world cannot exercise this: add a destination of account %s in %s with four sources no newer than it", e.account, e.cfg.Region)})
			}
			if e.cfg.DryRun {
				planned()
			}
			e.resetPools(ctx, pools, nil)
			e.startClean(ctx, pools)
			seed := GinkgoRandomSeed()
			rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
			for n := range e.cfg.Stateful {
				steps := e.generate(rng, pools, stateSteps)
				f := e.runSequence(ctx, pools, steps)
				if f == nil || f.sideEffect {
					// A refusal's leftover is RULE-NO-SIDE-EFFECT's, recorded
					// there; the model cannot go on from it.
					continue
				}
				short, g := e.shrink(ctx, pools, steps, f)
				fail(fmt.Sprintf("[%s] sequence %d of seed %d disagrees with the model after step %d of %d (shrunk from %d): %s\n%s\nreplay: conform run --seed %d --label-filter STATE-MODEL",
					ids(), n+1, seed, g.at+1, len(short), len(steps), g.why, strings.Join(g.log, "\n"), seed))
			}
		})
	})
}

// stateSteps is the length of one sequence.
const stateSteps = 24
