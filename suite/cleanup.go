package suite

import (
	"context"
	"fmt"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
)

// How no spec leaves state for the next: every add registers its cleanup,
// a leftover nobody added successfully is a refusal's side effect
// (RULE-NO-SIDE-EFFECT), a delete that did not take is OK-DELETED's.

// add sends AddSnapshotRepo and registers the cleanup of whatever it may
// have created, so no spec leaves state for the next. A pair an earlier
// cleanup could not remove ends the spec first: its result would be
// another requirement's fault.
func (e *env) add(ctx context.Context, c *apiclient.Client, r *apiclient.Request, p pair) *apiclient.Response {
	GinkgoHelper()
	if why, dirty := e.dirtyWhy(p); dirty {
		skip(fmt.Sprintf("not run: started from a dirty state because %s", why))
	}
	e.cleanup(p)
	resp := e.send(ctx, c, r)
	if accepted(resp) {
		e.mu.Lock()
		e.acked[[2]string{p.Dest, p.Source}]++
		e.mu.Unlock()
	} else {
		e.lastRefusal(p, resp)
	}
	return resp
}

// lastRefusal remembers the refused add of p its cleanup names when it
// finds a leftover.
func (e *env) lastRefusal(p pair, resp *apiclient.Response) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.refusals[[2]string{p.Dest, p.Source}] = resp
}

// isDirty reports whether an earlier cleanup left (dest, source) behind.
func (e *env) isDirty(dest, source string) bool {
	_, dirty := e.dirtyWhy(pair{Dest: dest, Source: source})
	return dirty
}

// dirtyWhy says why p was left behind, when a cleanup or a delete could not
// remove it.
func (e *env) dirtyWhy(p pair) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	why, dirty := e.dirty[[2]string{p.Dest, p.Source}]
	return why, dirty
}

// maxCleanupDeletes bounds the deletes of one cleanup (ROB-CONCURRENT may
// have stored 32 copies).
const maxCleanupDeletes = 40

// cleanup deletes p's repository after the spec, if delete is available.
// It runs whether the spec passed or not, in reverse order of creation.
// When no add of p was answered success, it first looks whether a refusal
// left p behind (RULE-NO-SIDE-EFFECT's failure, whichever spec met it).
func (e *env) cleanup(p pair) {
	if e.cfg.DryRun || e.cases.existing[[2]string{p.Dest, p.Source}] {
		return
	}
	DeferCleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), e.cfg.Timeout+e.cfg.Settle)
		defer cancel()
		key := [2]string{p.Dest, p.Source}
		e.mu.Lock()
		acked, refusal := e.acked[key] > 0, e.refusals[key]
		delete(e.acked, key)
		delete(e.refusals, key)
		e.mu.Unlock()
		if !acked && refusal != nil && e.leftBehind(ctx, p) {
			e.recordSideEffect(p, refusal)
		}
		if !e.cfg.has(CapDelete) {
			return
		}
		// Delete until the implementation says there is nothing left: one
		// that stored duplicates must not leak them into the next spec.
		for range maxCleanupDeletes {
			resp, err := e.client.Do(ctx, apiclient.Delete(p.Dest, p.Source))
			if err != nil {
				fmt.Fprintf(GinkgoWriter, "cleanup: deleting %s from %s: %v\n", p.Source, p.Dest, err)
				return
			}
			if !accepted(resp) {
				if resp.Status >= 500 {
					fmt.Fprintf(GinkgoWriter, "cleanup: deleting %s from %s answered %d\n", p.Source, p.Dest, resp.Status)
				}
				break
			}
		}
		e.verifyDeleted(ctx, p.Dest, []string{p.Source}, acked)
	})
}

// leftBehind reports whether dest still lists p's source once the settle
// time has passed (a list that shows writes late may show an earlier add of
// the same pair for a while), when list is available; any error is "no".
func (e *env) leftBehind(ctx context.Context, p pair) bool {
	if !e.cfg.has(CapList) {
		return false
	}
	for start := time.Now(); ; {
		resp, err := e.client.Do(ctx, apiclient.List(p.Dest))
		if err != nil || resp.Status != 200 {
			return false
		}
		repos, err := resp.Repos()
		if err != nil || !slices.ContainsFunc(repos, func(r apiclient.Repo) bool { return r.RepoPath == p.Source }) {
			return false
		}
		if time.Since(start) >= e.cfg.Settle || ctx.Err() != nil {
			return true
		}
		time.Sleep(settlePoll)
	}
}

// recordSideEffect records, once per pair, that a refused request left p
// behind, for the run's report under RULE-NO-SIDE-EFFECT; it returns the
// sentence.
func (e *env) recordSideEffect(p pair, refusal *apiclient.Response) string {
	what := "a refused request"
	if refusal != nil && refusal.Request != nil {
		what = fmt.Sprintf("%s %s (answered %d %s)", refusal.Request.Method, refusal.Request.Path, refusal.Status, orCode(refusal))
	}
	why := fmt.Sprintf("%s refused adding %s to %s, yet ListSnapshotReposByInstanceId lists it afterwards: a refused request left a repository behind", what, p.Source, p.Dest)
	e.mu.Lock()
	defer e.mu.Unlock()
	key := [2]string{p.Dest, p.Source}
	if !e.sideEffects[key] {
		e.sideEffects[key] = true
		e.sideEffectFailures = append(e.sideEffectFailures, why)
	}
	return why
}

// verifyDeleted checks, when list is available, that the deletes of
// sources from dest took: a repository still listed marks the pair dirty
// for the specs that follow, and, when the suite had added it successfully
// (acked), is reported once against OK-DELETED; a refusal's leftover that
// would not go is RULE-NO-SIDE-EFFECT's, reported there already.
func (e *env) verifyDeleted(ctx context.Context, dest string, sources []string, acked bool) {
	if !e.cfg.has(CapList) || len(sources) == 0 {
		return
	}
	// The list may show the deletes late: read it until it shows none of
	// sources or the settle time passes.
	var repos []apiclient.Repo
	lingers := func() bool {
		return slices.ContainsFunc(repos, func(r apiclient.Repo) bool { return slices.Contains(sources, r.RepoPath) })
	}
	for start := time.Now(); ; {
		resp, err := e.client.Do(ctx, apiclient.List(dest))
		if err != nil || resp.Status != 200 {
			return
		}
		if repos, err = resp.Repos(); err != nil {
			return
		}
		if !lingers() || time.Since(start) >= e.cfg.Settle || ctx.Err() != nil {
			break
		}
		time.Sleep(settlePoll)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, source := range sources {
		if !slices.ContainsFunc(repos, func(r apiclient.Repo) bool { return r.RepoPath == source }) {
			continue
		}
		if _, seen := e.dirty[[2]string{dest, source}]; seen {
			continue
		}
		if !acked {
			e.dirty[[2]string{dest, source}] = fmt.Sprintf("a refused request left %s in %s's list and the suite's cleanup could not delete it (reported under %s)", source, dest, sideEffectID)
			continue
		}
		why := fmt.Sprintf("the suite's cleanup deleted %s from %s, and DeleteSnapshotRepo answered, yet ListSnapshotReposByInstanceId still lists it", source, dest)
		e.dirty[[2]string{dest, source}] = why + " (reported under OK-DELETED)"
		e.cleanupFailures = append(e.cleanupFailures, why)
	}
}
