package suite

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/internal/terminal"
	"github.com/snaprepo/conform/report"
)

// Reading lists after a write. The API reference promises no
// read-after-write, so a list that shows a write late is not wrong: every
// check that reads a list after a write polls it until it shows the
// expected state or the run's settle time (conform run --settle) passes,
// and fails only when it never does. A list that took time to settle is
// noted in the report. Absence (nothing created) is checked at once: a
// write that was never acknowledged has nothing to wait for.

// settlePoll is how long the suite waits between two reads of a list that
// has not settled yet.
const settlePoll = 50 * time.Millisecond

// listOnce is one ListSnapshotReposByInstanceId of dest, its sources in the
// order listed, failing the spec when the answer is not a list.
func (e *env) listOnce(ctx context.Context, dest string) []string {
	GinkgoHelper()
	resp := e.send(ctx, e.client, apiclient.List(dest))
	var p problems
	if resp.Status != 200 {
		p.add("status %d, want 200", resp.Status)
	}
	repos, err := resp.Repos()
	if err != nil {
		p.add("%v", err)
	}
	p.check(resp, "ListSnapshotReposByInstanceId to answer 200 with a list")
	out := make([]string, len(repos))
	for i, r := range repos {
		out[i] = r.RepoPath
	}
	return out
}

// settled reads dest's list until holds(list) is "" or the settle time
// passes, and returns the last list and what was still wrong with it ("" when
// it settled). want names the expected state for the report's note.
func (e *env) settled(ctx context.Context, dest, want string, holds func([]string) string) ([]string, string) {
	GinkgoHelper()
	var got []string
	why := e.poll(ctx, "ListSnapshotReposByInstanceId of "+dest, want, func() string {
		got = e.listOnce(ctx, dest)
		return holds(got)
	})
	return got, why
}

// poll calls try until it returns "" or the settle time passes, and returns
// what was still wrong ("" when it settled); a read that settled late is
// noted in the report as what showed want after how long.
func (e *env) poll(ctx context.Context, what, want string, try func() string) string {
	GinkgoHelper()
	start := time.Now()
	for {
		why := try()
		waited := time.Since(start)
		if why == "" {
			if waited > settlePoll/2 {
				e.noteSettled(fmt.Sprintf("%s showed %s after %s", what, want, waited.Round(time.Millisecond)))
			}
			return ""
		}
		if waited >= e.cfg.Settle || ctx.Err() != nil {
			if e.cfg.Settle > 0 {
				why += fmt.Sprintf(" (still so after %s, the settle time: Config.Settle, conform run --settle)", e.cfg.Settle)
			}
			return why
		}
		time.Sleep(min(settlePoll, e.cfg.Settle-waited))
	}
}

// noteSettled adds a note to the running spec's report: a list showed a
// write only after a while.
func (e *env) noteSettled(note string) {
	AddReportEntry(report.EntrySettled, note)
}

// expectListed wants p.Source in the destination's list, once it settled.
func (e *env) expectListed(ctx context.Context, p pair) {
	GinkgoHelper()
	_, why := e.settled(ctx, p.Dest, p.Source+" listed", func(got []string) string {
		if !slices.Contains(got, p.Source) {
			return "it does not list " + p.Source + ": it lists " + joinOrNone(got)
		}
		// The suite adds only instances of the world: an entry that is
		// none is one nobody added.
		var strangers []string
		for _, s := range got {
			if e.cfg.World.Instance(s) == nil {
				strangers = append(strangers, terminal.Clip(s, 80))
			}
		}
		if len(strangers) > 0 {
			return fmt.Sprintf("it also lists what nobody added, no instance of the world (%d): %s", len(strangers), joinOrNone(strangers[:min(3, len(strangers))]))
		}
		return ""
	})
	if why != "" {
		fail(fmt.Sprintf("[%s] after a successful add of %s, ListSnapshotReposByInstanceId of %s is wrong: %s", ids(), p.Source, p.Dest, why))
	}
}

// expectListedOnce wants dest to list source exactly once, once it settled;
// after is the exchange that led there, for the failure.
func (e *env) expectListedOnce(ctx context.Context, dest, source, after string) {
	GinkgoHelper()
	_, why := e.settled(ctx, dest, source+" listed once", func(got []string) string {
		if n := count(got, source); n != 1 {
			return fmt.Sprintf("%s lists %s %d times, want once", dest, source, n)
		}
		return ""
	})
	if why != "" {
		fail(fmt.Sprintf("[%s] after %s, %s", ids(), after, why))
	}
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// expectNothingCreated checks, when list is available, that dest does not
// reference source after a refusal. A leftover is RULE-NO-SIDE-EFFECT's
// failure, whichever spec meets it: it is reported there once, and fails
// the running spec only when that is RULE-NO-SIDE-EFFECT's own.
//
// A destination that is not active may refuse to be listed: the reference
// documents no answer of ListSnapshotReposByInstanceId, and the platform
// refuses a busy cluster other actions too. Then the answer cannot show a
// leftover; the report says so (specs[].unobserved), and the spec does not
// fail for what it could not see.
func (e *env) expectNothingCreated(ctx context.Context, p pair, refusal *apiclient.Response) {
	GinkgoHelper()
	if !e.cfg.has(CapList) {
		return
	}
	if d := e.cfg.World.Instance(p.Dest); d != nil && d.Status != checks.StatusActive {
		resp := e.send(ctx, e.client, apiclient.List(p.Dest))
		if resp.Status != 200 && len(refusedProblems(resp, "")) == 0 {
			AddReportEntry(report.EntryUnobserved, fmt.Sprintf("whether the refused add left %s ← %s behind: ListSnapshotReposByInstanceId of %s (%s) is refused too (%d %s)",
				p.Dest, p.Source, p.Dest, d.Status, resp.Status, terminal.Clip(orCode(resp), 80)))
			return
		}
	}
	// A list that shows writes late may still show an earlier spec's add of
	// the same pair: a leftover is one still listed once the settle time
	// has passed.
	_, why := e.settled(ctx, p.Dest, p.Source+" not listed", func(got []string) string {
		if slices.Contains(got, p.Source) {
			return p.Source + " is listed"
		}
		return ""
	})
	if why != "" {
		e.sideEffect(p, refusal)
	}
}

// sideEffect records that a refused request left p behind, and fails the
// running spec when it is RULE-NO-SIDE-EFFECT's.
func (e *env) sideEffect(p pair, refusal *apiclient.Response) {
	GinkgoHelper()
	why := e.recordSideEffect(p, refusal)
	if strings.Contains(ids(), sideEffectID) {
		fail(fmt.Sprintf("[%s] %s (%s)", ids(), why, p.Why))
	}
}

// sideEffectID is the requirement a refusal's leftover breaks.
const sideEffectID = "RULE-NO-SIDE-EFFECT"

func orCode(resp *apiclient.Response) string {
	if resp.Code != "" {
		return resp.Code
	}
	return "Result " + orNone(resp.Result)
}

func joinOrNone(s []string) string {
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
}
