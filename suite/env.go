package suite

import (
	"context"
	"errors"
	"fmt"
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

// noteThrottled adds to the spec's report how many of its requests the
// endpoint throttled and the client sent again (apiclient.Client.Do).
func (e *env) noteThrottled() {
	if n := e.client.Health.TakeThrottled(); n > 0 {
		AddReportEntry(report.EntryThrottled, n, ReportEntryVisibilityNever)
	}
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
		fail(fmt.Sprintf("not run: the run's deadline (%s: Config.Deadline, conform run --deadline) passed", e.cfg.Deadline))
	}
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
