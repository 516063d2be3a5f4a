package suite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/checks"
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
	// cleanupFailures are reported once, against OK-DELETED.
	cleanupFailures []string

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
func (e *env) it(id, text string, body any) bool { return It(text, e.req(id), body) }

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
			Skip(msg)
		}
	}
}

// use returns the case's pair, or skips the spec saying what the world lacks.
func use(f found) pair {
	if !f.ok {
		AddReportEntry(report.EntryUnexercised, f.missing)
		Skip(f.missing)
	}
	return f.pair
}

// planned ends a spec of a dry run at its first request: the world gave it
// every case it needs.
func planned() {
	AddReportEntry(report.EntryPlanned, "the world exercises this spec")
	Skip("dry run: the world exercises this spec; no request sent")
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
		Skip(fmt.Sprintf("not run: started from a dirty state because %s (reported under OK-DELETED)", why))
	}
	e.cleanup(p)
	return e.send(ctx, c, r)
}

// maxCleanupDeletes bounds the deletes of one cleanup (ROB-CONCURRENT may
// have stored 32 copies).
const maxCleanupDeletes = 40

// cleanup deletes p's repository after the spec, if delete is available.
// It runs whether the spec passed or not, in reverse order of creation.
func (e *env) cleanup(p pair) {
	if !e.cfg.has(CapDelete) || e.cfg.DryRun || e.cases.existing[[2]string{p.Dest, p.Source}] {
		return
	}
	DeferCleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), e.cfg.Timeout)
		defer cancel()
		// Delete until the implementation says there is nothing left: one
		// that stored duplicates must not leak them into the next spec.
		for range maxCleanupDeletes {
			resp, err := e.client.Do(ctx, apiclient.Delete(p.Dest, p.Source))
			if err != nil {
				fmt.Fprintf(GinkgoWriter, "cleanup: deleting %s from %s: %v\n", p.Source, p.Dest, err)
				return
			}
			if resp.Status != 200 {
				if resp.Status >= 500 {
					fmt.Fprintf(GinkgoWriter, "cleanup: deleting %s from %s answered %d\n", p.Source, p.Dest, resp.Status)
				}
				break
			}
		}
		e.verifyCleanup(ctx, p)
	})
}

// verifyCleanup checks, when list is available, that the deletes took: a
// repository still listed is reported once against OK-DELETED, and the pair
// is marked dirty for the specs that follow.
func (e *env) verifyCleanup(ctx context.Context, p pair) {
	e.verifyDeleted(ctx, p.Dest, []string{p.Source})
}

// verifyDeleted is verifyCleanup for several sources of one destination,
// listed once.
func (e *env) verifyDeleted(ctx context.Context, dest string, sources []string) {
	if !e.cfg.has(CapList) || len(sources) == 0 {
		return
	}
	resp, err := e.client.Do(ctx, apiclient.List(dest))
	if err != nil || resp.Status != 200 {
		return
	}
	repos, err := resp.Repos()
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, source := range sources {
		if !slices.ContainsFunc(repos, func(r apiclient.Repo) bool { return r.RepoPath == source }) {
			continue
		}
		if _, seen := e.dirty[[2]string{dest, source}]; !seen {
			why := fmt.Sprintf("the suite's cleanup deleted %s from %s, and DeleteSnapshotRepo answered, yet ListSnapshotReposByInstanceId still lists it", source, dest)
			e.dirty[[2]string{dest, source}] = why
			e.cleanupFailures = append(e.cleanupFailures, why)
		}
	}
}

// problems gathers every way an answer falls short, so one failure message
// lists them all instead of the first.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// check fails the spec with every problem, the requirement, the exchange
// and the expectation.
func (p problems) check(resp *apiclient.Response, expected string) {
	GinkgoHelper()
	if len(p) == 0 {
		return
	}
	fail(fmt.Sprintf("[%s] expected %s\n  - %s\n%s", ids(), expected, strings.Join(p, "\n  - "), resp))
}

// envelopeProblems checks the error envelope: JSON with non-empty string
// Code, Message, RequestId.
func envelopeProblems(resp *apiclient.Response) problems {
	var p problems
	var fields map[string]any
	if err := json.Unmarshal(resp.Body, &fields); err != nil || fields == nil {
		p.add("the body is not a JSON object")
		return p
	}
	for _, name := range []string{"Code", "Message", "RequestId"} {
		s, ok := fields[name].(string)
		if !ok || s == "" {
			p.add("%s is not a non-empty string (got %v)", name, fields[name])
		}
	}
	return p
}

// expectSuccess wants 200, application/json, Result true and a RequestId.
func expectSuccess(resp *apiclient.Response) {
	GinkgoHelper()
	successProblems(resp).check(resp, wantSuccess)
}

const wantSuccess = "success: 200, application/json, Result true, a RequestId"

// successProblems is every way resp falls short of a success answer.
func successProblems(resp *apiclient.Response) problems {
	var p problems
	if resp.Status != 200 {
		p.add("status %d, want 200", resp.Status)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		p.add("Content-Type %q, want application/json", resp.Header.Get("Content-Type"))
	}
	if !resp.ResultTrue() {
		p.add("Result is %s, want the JSON boolean true", orNone(resp.Result))
	}
	var fields map[string]any
	json.Unmarshal(resp.Body, &fields)
	if s, ok := fields["RequestId"].(string); !ok || s == "" {
		p.add("RequestId is not a non-empty string")
	}
	return p
}

func orNone(raw json.RawMessage) string {
	if raw == nil {
		return "missing"
	}
	return string(raw)
}

// expectRefused wants a 4xx with a full envelope, and the code when given.
func expectRefused(resp *apiclient.Response, code string) {
	GinkgoHelper()
	refusedProblems(resp, code).check(resp, wantRefused(code))
}

func wantRefused(code string) string {
	if code != "" {
		return "a refusal: 4xx and an error envelope with Code " + code
	}
	return "a refusal: 4xx and an error envelope"
}

// refusedProblems is every way resp falls short of a refusal.
func refusedProblems(resp *apiclient.Response, code string) problems {
	p := envelopeProblems(resp)
	if resp.Status < 400 || resp.Status > 499 {
		p.add("status %d, want 4xx", resp.Status)
	}
	if code != "" && resp.Code != code {
		p.add("Code %q, want %q", resp.Code, code)
	}
	return p
}

// expectError wants exactly the documented status, code and message.
func expectError(resp *apiclient.Response, status int, code, message string) {
	GinkgoHelper()
	errorProblems(resp, status, code, message).check(resp, fmt.Sprintf("%d %s %q", status, code, message))
}

// errorProblems is every way resp differs from a documented error.
func errorProblems(resp *apiclient.Response, status int, code, message string) problems {
	p := envelopeProblems(resp)
	if resp.Status != status {
		p.add("status %d, want %d", resp.Status, status)
	}
	if resp.Code != code {
		p.add("Code %q, want %q", resp.Code, code)
	}
	if resp.Message != message {
		p.add("Message %q, want %q", resp.Message, message)
	}
	return p
}

// listed is the sources dest references, per ListSnapshotReposByInstanceId.
func (e *env) listed(ctx context.Context, dest string) []string {
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

// expectNothingCreated checks, when list is available, that dest does not
// reference source.
func (e *env) expectNothingCreated(ctx context.Context, p pair) {
	GinkgoHelper()
	if !e.cfg.has(CapList) {
		return
	}
	got := e.listed(ctx, p.Dest)
	Expect(got).NotTo(ContainElement(p.Source), "[%s] a refused request left a repository behind: %s lists %s (%s)", ids(), p.Dest, p.Source, p.Why)
}

// countOf is how often dest lists source.
func (e *env) countOf(ctx context.Context, dest, source string) int {
	GinkgoHelper()
	n := 0
	for _, s := range e.listed(ctx, dest) {
		if s == source {
			n++
		}
	}
	return n
}

// documented is the API error the oracle expects when it is documented and
// the only one possible: the order in which an implementation checks the
// rules is not documented, so when several rules refuse a pair, any of
// their refusals may come first and only a 4xx envelope is demanded.
func documented(v *checks.Verdict) string {
	if e := v.APIError(); e != nil && e.Documented && v.Failing() == 1 {
		return e.Code
	}
	return ""
}

// sourceStatusOpen reports whether the rules accept a pair whose source is
// not active: the documentation names only the destination's status, so an
// implementation may accept or refuse it.
func sourceStatusOpen(v *checks.Verdict) bool {
	return v.Compatible() && v.Source != nil && v.Source.Status != checks.StatusActive
}
