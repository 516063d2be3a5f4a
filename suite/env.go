package suite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/internal/terminal"
	"github.com/snaprepo/conform/report"
)

// env is what every spec of one run shares: configuration, client, cases.
type env struct {
	cfg      Config
	cat      *catalogue.Catalogue
	account  string
	client   *apiclient.Client
	cases    *cases
	deadline time.Time

	// dirty holds the pairs a cleanup could not remove, and why: a spec
	// that would start from one says so instead of failing its own
	// requirement for another's fault.
	mu    sync.Mutex
	dirty map[[2]string]string
	// cleanupFailures are reported once, against OK-DELETED: deletes of
	// repositories the suite added successfully that did not take.
	cleanupFailures []string
	// acked counts, per pair, the adds answered success since the pair's
	// last cleanup: a leftover nobody added successfully is a refusal's
	// side effect, not a delete that failed.
	acked map[[2]string]int
	// sideEffects are the pairs a refused request left behind, reported once
	// each against RULE-NO-SIDE-EFFECT.
	sideEffects        map[[2]string]bool
	sideEffectFailures []string
	// refusals are the last refused add of each pair, for the cleanup.
	refusals map[[2]string]*apiclient.Response

	// compared and disagreeing count the pairs the exhaustive specs sent
	// and compared with the oracle, and those answered otherwise.
	compared, disagreeing atomic.Int64
}

// stopAfter is how many consecutive requests without an answer end the run:
// the remaining specs fail at once instead of each waiting its timeout.
const stopAfter = 3

func newEnv(cfg Config, cat *catalogue.Catalogue) *env {
	account, _, _ := cfg.World.KeyOwner(cfg.Credentials.AccessKeyID)
	client := apiclient.New(cfg.Endpoint, *cfg.Credentials, cfg.Signature, cfg.Timeout)
	client.Health = apiclient.NewHealth(stopAfter)
	client.Offline = cfg.DryRun
	return &env{
		cfg:      cfg,
		cat:      cat,
		account:  account,
		client:   client,
		cases:    newCases(cfg.World, account, cfg.Region),
		deadline: time.Now().Add(cfg.Deadline),
		dirty:    map[[2]string]string{},

		acked:       map[[2]string]int{},
		sideEffects: map[[2]string]bool{},
		refusals:    map[[2]string]*apiclient.Response{},
	}
}

// fail fails the spec with msg, its control bytes escaped: an
// implementation's answer never reaches a terminal raw.
func fail(msg string, callerSkip ...int) {
	skip := 1
	if len(callerSkip) > 0 {
		skip += callerSkip[0]
	}
	Fail(terminal.Escape(msg), skip)
}

// skip ends the spec as skipped with msg, its control bytes escaped: a
// world's or an implementation's text never reaches a terminal raw.
func skip(msg string) {
	Skip(terminal.Escape(msg), 1)
}

// ready fails a spec at once that cannot be run for the run's sake: the
// deadline passed, or the implementation stopped answering.
func (e *env) ready() {
	if err := e.client.Health.Stopped(); err != nil {
		fail(fmt.Sprintf("not run: %v", err))
	}
	if e.cfg.DryRun {
		return
	}
	if time.Now().After(e.deadline) {
		fail(fmt.Sprintf("not run: the run's deadline (--deadline %s) passed", e.cfg.Deadline))
	}
}

// req labels a spec with its requirement IDs and their levels, from the
// catalogue. An unknown ID stops the run while the specs are being built.
func (e *env) req(ids ...string) Labels {
	labels := Labels{}
	for _, id := range ids {
		r, ok := e.cat.Lookup(id)
		if !ok {
			panic(fmt.Sprintf("suite: spec labelled with %q, which is not in requirements.yaml", id))
		}
		labels = append(labels, id)
		if !strings.Contains(strings.Join(labels, ","), r.Level) {
			labels = append(labels, r.Level)
		}
	}
	return labels
}

// it is Ginkgo's It for the requirement id: the ID is written once, and the
// spec's labels (the ID and its level) come from the catalogue. Reports name
// the spec by its ID first.
func (e *env) it(id, text string, body any, decorators ...any) bool {
	return It(text, append(append([]any{e.req(id)}, decorators...), body)...)
}

// table is Ginkgo's DescribeTable for the requirement id: its labels are the
// table's, so no entry states them again.
func (e *env) table(id, text string, body any, entries ...TableEntry) bool {
	return DescribeTable(text, append([]any{e.req(id), body}, entriesAsAny(entries)...)...)
}

func entriesAsAny(entries []TableEntry) []any {
	out := make([]any, len(entries))
	for i, en := range entries {
		out[i] = en
	}
	return out
}

// need skips the spec, as disabled, when a capability is off.
func (e *env) need(caps ...Capability) {
	for _, c := range caps {
		if !e.cfg.has(c) {
			msg := fmt.Sprintf("disabled by configuration: capability %s (%s) is off", c, capabilityOps[c])
			AddReportEntry(report.EntryDisabled, msg)
			skip(msg)
		}
	}
}

// use returns the case's pair, or skips the spec saying what the world lacks.
func use(f found) pair {
	if !f.ok {
		AddReportEntry(report.EntryUnexercised, f.missing)
		skip(f.missing)
	}
	return f.pair
}

// planned ends a spec of a dry run at its first request: the world gave it
// every case it needs.
func planned() {
	AddReportEntry(report.EntryPlanned, "the world exercises this spec")
	skip("dry run: the world exercises this spec; no request sent")
}

// noAnswer fails the spec for a request that got no answer, saying how.
func (e *env) noAnswer(err error, r *apiclient.Request) {
	GinkgoHelper()
	switch {
	case errors.Is(err, apiclient.ErrOffline):
		planned()
	case errors.Is(err, apiclient.ErrStopped):
		fail(fmt.Sprintf("[%s] not run: %v", ids(), err))
	}
	fail(fmt.Sprintf("[%s] %v\nrequest: %s %s body %q", ids(), err, r.Method, r.Path, terminal.Clip(string(r.Body), 200)))
}

// ids is the requirement IDs of the running spec.
func ids() string {
	var out []string
	for _, l := range CurrentSpecReport().Labels() {
		if l != catalogue.Must && l != catalogue.Should {
			out = append(out, l)
		}
	}
	return strings.Join(out, ", ")
}

// send performs a request, failing the spec (never the run) if no answer
// came within the timeout.
func (e *env) send(ctx context.Context, c *apiclient.Client, r *apiclient.Request) *apiclient.Response {
	GinkgoHelper()
	resp, err := c.Do(ctx, r)
	if err != nil {
		e.noAnswer(err, r)
	}
	return resp
}

// add sends AddSnapshotRepo and registers the cleanup of whatever it may
// have created, so no spec leaves state for the next. A pair an earlier
// cleanup could not remove ends the spec first: its result would be
// another requirement's fault.
func (e *env) add(ctx context.Context, c *apiclient.Client, r *apiclient.Request, p pair) *apiclient.Response {
	GinkgoHelper()
	e.mu.Lock()
	why, dirty := e.dirty[[2]string{p.Dest, p.Source}]
	e.mu.Unlock()
	if dirty {
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
	e.mu.Lock()
	defer e.mu.Unlock()
	_, dirty := e.dirty[[2]string{dest, source}]
	return dirty
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
