package suite

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/apierror"
	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/world"
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
	stepInstances // ListInstance: one page of the caller's instances
	stepRegions   // DescribeRegions
	// stepHostile is an operation on an ID or repoPath that cannot be an
	// instance's, or on an instance the caller cannot see.
	stepHostile
)

// step is one operation with its arguments, as indexes into the pools.
type step struct {
	kind stepKind
	// size and page draw a ListInstance page: size 1 to 100, page any
	// (reduced to one of the pages there are, or one past the last).
	size, page int
	dest, src  int
	alreadySet bool
	// byDefault sends alternatives without alreadySetItems: the SDK
	// models' default, true.
	byDefault bool
	// dialect is the official SDK whose way the step is sent in (an index
	// into stateDialects): a decision that depends on it is a failure.
	dialect int
	// hostile picks the input of a stepHostile (an index into
	// hostileInputs) and op its operation.
	hostile, op int
}

// stateDialect is one way the official SDKs send a request.
type stateDialect struct {
	name string
	sig  apiclient.Signature
	add  func(dest, source string) *apiclient.Request
}

// stateDialects are the official SDKs' ways, each step drawn from them.
var stateDialects = []stateDialect{
	{"darabonba-openapi (Go), ACS3, JSON body", apiclient.SignV3, apiclient.AddJSON},
	{"alibaba-cloud-sdk-go (classic), ROA 1.0, form body", apiclient.SignClassic, apiclient.AddClassic},
	{"@alicloud/elasticsearch20170613 (Node), ACS3", apiclient.SignNodeV3, apiclient.AddJSON},
	{"@alicloud/elasticsearch20170613 (Node), ROA 1.0", apiclient.SignNodeV2, apiclient.AddJSON},
	{"@alicloud/pop-core (Node), ROA 1.0", apiclient.SignPopCore, apiclient.AddJSON},
	{"darabonba-openapi (Go), ROA 1.0", apiclient.SignDarabonbaV2, apiclient.AddJSON},
}

// hostileInputs are the strings no instance ID is: a slash (sent as
// %2F), a dot-dot segment, NUL, invalid UTF-8, CJK, 4 KiB, and a letter
// run ending in a symbol (the input that makes a backtracking pattern
// hang).
var hostileInputs = []struct{ name, value string }{
	{"a slash (%2F)", "es-cn-conform/x"},
	{"a dot-dot segment", ".."},
	{"NUL", "es-cn-conform\x00x"},
	{"invalid UTF-8", "es-cn-conform\xff\xfe"},
	{"CJK", "es-cn-实例共享仓库"},
	{"4 KiB", strings.Repeat("a", 4096)},
	{"a letter run ending in a symbol", strings.Repeat("a", 26) + "!"},
}

// Operations of a hostile step.
const (
	hostileAddDest    = iota // the hostile ID as the destination of an add
	hostileAddSource         // the hostile ID as the repoPath of an add
	hostileDelete            // the hostile ID as a delete's repoPath
	hostileRead              // the hostile ID as the destination of a list, describe or alternatives
	hostileUnknown           // an unknown destination, any operation: InstanceNotFound
	hostileTheirs            // another account's destination, any operation: InstanceNotFound
	hostileEmptyToken        // a delete with an empty clientToken
	hostileNoRepoPath        // a delete without repoPath, or with it empty: it names nothing, so it removes nothing
	hostileOps
)

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
	if e.cfg.has(CapInstances) {
		kinds = append(kinds, stepInstances, stepRegions)
	}
	kinds = append(kinds, stepHostile)
	var out, adds []step // adds: the add steps of out
	for len(out) < n {
		// Most steps go to the first destination, so that sequences build up
		// several repositories on one, as real use does.
		dest := 0
		if rng.IntN(3) == 0 {
			dest = rng.IntN(len(pools.dests))
		}
		// Half the steps reuse a source an earlier step named, so that
		// sources come to be shared by several destinations, as a fleet's
		// are: a fault that touches other destinations shows then.
		src := rng.IntN(len(pools.srcs))
		if len(out) > 0 && rng.IntN(2) == 0 {
			src = out[rng.IntN(len(out))].src
		}
		st := step{kind: kinds[rng.IntN(len(kinds))], dest: dest, src: src, alreadySet: rng.IntN(2) == 0,
			dialect: rng.IntN(len(stateDialects)), hostile: rng.IntN(len(hostileInputs)), op: rng.IntN(hostileOps),
			size: 1 + rng.IntN(100), page: rng.IntN(1 << 16)}
		// Real use shares a source among destinations and deletes what it
		// added: an add often takes an earlier add's source to another
		// destination, a delete often an earlier add's pair — so a fault
		// that reaches beyond the pair it is asked about shows.
		if len(adds) > 0 && rng.IntN(2) == 0 {
			p := adds[rng.IntN(len(adds))]
			switch {
			case st.kind == stepAdd && len(pools.dests) > 1:
				st.src, st.dest = p.src, (p.dest+1+rng.IntN(len(pools.dests)-1))%len(pools.dests)
			case st.kind == stepDelete:
				st.src, st.dest = p.src, p.dest
			}
		}
		if st.kind == stepHostile && st.op == hostileTheirs && !e.cases.otherAccountDest().ok {
			st.op = hostileUnknown
		}
		if st.kind == stepAlternatives && rng.IntN(3) == 0 {
			st.alreadySet, st.byDefault = apiclient.AlreadySetItemsDefault(), true
		}
		// Writes go to pairs the sequence owns: a delete with an empty
		// clientToken would remove a repository of the world, which no
		// later sequence's model could expect back.
		writes := st.kind == stepAdd || st.kind == stepDelete || (st.kind == stepHostile && st.op == hostileEmptyToken)
		if writes && !e.usable(pools.dests[st.dest], pools.srcs[st.src]) {
			continue
		}
		out = append(out, st)
		if st.kind == stepAdd {
			adds = append(adds, st)
		}
	}
	return out
}

// sweep is the sequence every run starts with, whatever the seed: each
// pair of the pools the sequences may write is added, then deleted one at
// a time, each step in the next dialect — every destination holds several
// repositories, sources are shared, and after each delete every list must
// have lost exactly the pair named, so a delete that reaches beyond it
// (the first entry, a prefix, every destination) shows every time.
func (e *env) sweep(pools statePools) []step {
	var adds []step
	for i, d := range pools.dests {
		for j, s := range pools.srcs {
			if v := e.cases.expect(d.ID, s.ID); e.usable(d, s) && v.Compatible() {
				adds = append(adds, step{kind: stepAdd, dest: i, src: j})
			}
		}
	}
	out := slices.Clone(adds)
	// Every destination full, a delete that names no repository — none,
	// then an empty one — must leave every list as it is.
	for i := range pools.dests {
		out = append(out, step{kind: stepHostile, op: hostileNoRepoPath, dest: i},
			step{kind: stepHostile, op: hostileNoRepoPath, dest: i, hostile: 1})
	}
	for _, a := range adds {
		out = append(out, step{kind: stepDelete, dest: a.dest, src: a.src})
	}
	for i := range out {
		out[i].dialect = i % len(stateDialects)
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

// sequencer holds what the sequences of one STATE-MODEL spec share: a
// client per dialect, each on its own connections, and every RequestId
// answered so far, which must all differ.
type sequencer struct {
	clients []*apiclient.Client
	ids     map[string]string
}

func (e *env) newSequencer() *sequencer {
	q := &sequencer{ids: map[string]string{}}
	for _, d := range stateDialects {
		c := e.client.With(*e.cfg.Credentials, d.sig)
		c.HTTP = apiclient.NewHTTPClient(e.cfg.Timeout)
		q.clients = append(q.clients, c)
	}
	return q
}

// requestID checks resp's RequestId: present, printable, bounded, and
// never answered before in this spec, over any connection. An HTTP
// layer's redirect of a dot-segment path carries none: no API answered.
func (q *sequencer) requestID(resp *apiclient.Response, at string) string {
	if resp.DotSegmentRedirect() {
		return ""
	}
	id := resp.RequestID
	if p := requestIDProblems(resp); len(p) > 0 {
		return strings.Join(p, "; ")
	}
	if before, seen := q.ids[id]; seen {
		return fmt.Sprintf("RequestId %q was answered before, at %s: RequestIds must differ across every answer and connection", id, before)
	}
	q.ids[id] = at
	return ""
}

// runSequence resets the pool's pairs, then sends steps, each in its
// dialect, and checks each answer against the model; after every write it
// lists every destination the sequence touched, which must hold what the
// model holds: exactly the named pair changed, nothing else. It returns the
// first disagreement, or nil.
func (e *env) runSequence(ctx context.Context, q *sequencer, pools statePools, steps []step) *stateFailure {
	m := e.newModel(pools)
	var log []string
	touched := map[string]bool{}
	defer e.resetPools(ctx, pools, steps)
	for i, st := range steps {
		d, s := pools.dests[st.dest], pools.srcs[st.src]
		r, check, write := e.stepRequest(st, d, s, m)
		// A read may show the writes before it late (the reference promises
		// no read-after-write): it is sent again until it agrees or the
		// settle time passes.
		read := st.kind == stepList || st.kind == stepAlternatives
		var resp *apiclient.Response
		var why string
		start := time.Now()
		dialect := stateDialects[st.dialect].name
		for {
			var err error
			resp, err = q.clients[st.dialect].Do(ctx, r)
			if err != nil {
				log = append(log, fmt.Sprintf("%2d. [%s] %s %s → no answer: %v", i+1, dialect, r.Method, clipPath(r.Path)+query(r), err))
				return &stateFailure{at: i, why: err.Error(), log: log}
			}
			if why = q.requestID(resp, fmt.Sprintf("step %d", i+1)); why != "" {
				break
			}
			if resp.Status >= 500 {
				why = fmt.Sprintf("answered %d: no request, however hostile, may get a 5xx (ROB-NO-5XX)", resp.Status)
				break
			}
			why = check(resp)
			if why == "" || !read || time.Since(start) >= e.cfg.Settle || ctx.Err() != nil {
				break
			}
			time.Sleep(settlePoll)
		}
		log = append(log, fmt.Sprintf("%2d. [%s] %s %s%s → %d %s %s", i+1, dialect, r.Method, clipPath(r.Path), query(r), resp.Status, resp.Code, resp.Excerpt(160)))
		if why != "" {
			return &stateFailure{at: i, why: why, log: log, sideEffect: strings.HasPrefix(why, leftoverPrefix)}
		}
		if !write {
			continue
		}
		touched[d.ID] = true
		for _, other := range pools.dests {
			if !touched[other.ID] {
				continue
			}
			if why := e.listAgrees(ctx, q, other, m); why != "" {
				log = append(log, fmt.Sprintf("    then listing %s: %s", other.ID, why))
				return &stateFailure{at: i, why: "after step " + fmt.Sprint(i+1) + ": " + why, log: log, sideEffect: strings.HasPrefix(why, leftoverPrefix)}
			}
		}
	}
	return nil
}

// listAgrees lists d until it holds what the model says or the settle time
// passes, and says how it differs.
func (e *env) listAgrees(ctx context.Context, q *sequencer, d *checks.Instance, m *model) string {
	check := e.listCheck(d, m)
	start := time.Now()
	for {
		resp, err := q.clients[0].Do(ctx, apiclient.List(d.ID))
		if err != nil {
			return err.Error()
		}
		if why := q.requestID(resp, "a list of "+d.ID); why != "" {
			return why
		}
		why := check(resp)
		if why == "" || time.Since(start) >= e.cfg.Settle || ctx.Err() != nil {
			return why
		}
		time.Sleep(settlePoll)
	}
}

// clipPath keeps a 4 KiB hostile ID from filling the log.
func clipPath(p string) string {
	if len(p) > 120 {
		return p[:120] + "…"
	}
	return p
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

// stepRequest is the request of one step and the check of its answer,
// and whether it is a write; the check updates the model when the answer
// is right.
func (e *env) stepRequest(st step, d, s *checks.Instance, m *model) (*apiclient.Request, func(*apiclient.Response) string, bool) {
	switch st.kind {
	case stepHostile:
		return e.hostileRequest(st, d, s, m)
	case stepAdd:
		v := e.cases.expect(d.ID, s.ID)
		return stateDialects[st.dialect].add(d.ID, s.ID), func(resp *apiclient.Response) string {
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
		}, true
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
		}, true
	case stepList:
		return apiclient.List(d.ID), e.listCheck(d, m), false
	case stepInstances:
		return e.instancesStep(st)
	case stepRegions:
		return apiclient.Regions(), func(resp *apiclient.Response) string {
			regions, err := resp.RegionIDs()
			if resp.Status != 200 || err != nil {
				return fmt.Sprintf("DescribeRegions answered %d (%v), want 200 and a list of regions", resp.Status, err)
			}
			if !slices.Contains(regions, e.cfg.Region) {
				return fmt.Sprintf("DescribeRegions lists %s, not %s, the region this endpoint serves", joinOrNone(regions), e.cfg.Region)
			}
			return ""
		}, false
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
		}, false
	}
	return apiclient.Describe(d.ID), func(resp *apiclient.Response) string {
		var got struct {
			InstanceID string `json:"instanceId"`
			EsVersion  string `json:"esVersion"`
		}
		if resp.Status != 200 || json.Unmarshal(resp.Result, &got) != nil || got.InstanceID != d.ID {
			return fmt.Sprintf("DescribeInstance of %s answered %d without the instance", d.ID, resp.Status)
		}
		if v, err := checks.ParseVersion(got.EsVersion); err != nil || v.Compare(d.Version) != 0 {
			return fmt.Sprintf("DescribeInstance of %s says esVersion %q; the world says %s", d.ID, got.EsVersion, d.Version.Raw)
		}
		return ""
	}, false
}

// instancesStep is one page of ListInstance, its page and size drawn from
// the step (size 1 to the reference's maximum of 100; now and then the page
// past the last, which may be empty or refused). The page must hold
// exactly the caller's instances of this region it should — as many as the
// page's place among them leaves (the order is open), each once, none of
// another account or region, each with the world's esVersion.
func (e *env) instancesStep(st step) (*apiclient.Request, func(*apiclient.Response) string, bool) {
	mine := map[string]*checks.Instance{}
	for i := range e.cfg.World.Instances {
		in := &e.cfg.World.Instances[i]
		if in.Account == e.account && in.Region == e.cfg.Region {
			mine[in.ID] = in
		}
	}
	size := max(1, min(st.size, 100))
	pages := (len(mine) + size - 1) / size
	page := 1 + st.page%(pages+1) // one page past the last, now and then
	want := min(size, max(0, len(mine)-(page-1)*size))
	return apiclient.Instances(page, size), func(resp *apiclient.Response) string {
		// A page past the last may be empty or refused: the reference
		// does not say which.
		if page > max(pages, 1) && resp.Status != 200 && len(refusedProblems(resp, "")) == 0 {
			return ""
		}
		listed, err := resp.ListedInstances()
		if resp.Status != 200 || err != nil {
			return fmt.Sprintf("ListInstance page %d of size %d answered %d (%v), want 200 and a list of instances", page, size, resp.Status, err)
		}
		seen := map[string]bool{}
		for _, l := range listed {
			in, ok := mine[l.InstanceID]
			switch {
			case !ok:
				return fmt.Sprintf("ListInstance page %d of size %d lists %s, which is not the caller's instance in %s", page, size, l.InstanceID, e.cfg.Region)
			case seen[l.InstanceID]:
				return fmt.Sprintf("ListInstance page %d of size %d lists %s twice", page, size, l.InstanceID)
			}
			seen[l.InstanceID] = true
			if v, err := checks.ParseVersion(l.EsVersion); err != nil || v.Compare(in.Version) != 0 {
				return fmt.Sprintf("ListInstance says %s runs esVersion %q; the world says %s", in.ID, l.EsVersion, in.Version.Raw)
			}
		}
		if len(listed) != want {
			return fmt.Sprintf("ListInstance page %d of size %d lists %d instances; the caller has %d in %s, so that page holds %d", page, size, len(listed), len(mine), e.cfg.Region, want)
		}
		// The total callers page by: where the answer gives one, it is the
		// caller's count (leaving it out is the implementation's choice).
		switch total, given, err := resp.TotalCount(); {
		case err != nil:
			return fmt.Sprintf("ListInstance page %d of size %d: %v", page, size, err)
		case given && total != len(mine):
			return fmt.Sprintf("ListInstance page %d of size %d says Headers.X-Total-Count %d; the caller has %d instances in %s", page, size, total, len(mine), e.cfg.Region)
		}
		return ""
	}, false
}

// listCheck checks a list of d against the model: the sources it names,
// and each item as the reference's example writes one — repoPath the
// source, snapWarehouse aliyun_snapshot_from_<source>, status available
// or unavailable, instanceId the source (as the example) or the
// destination.
func (e *env) listCheck(d *checks.Instance, m *model) func(*apiclient.Response) string {
	return func(resp *apiclient.Response) string {
		repos, err := resp.Repos()
		if resp.Status != 200 || err != nil {
			return fmt.Sprintf("listing %s answered %d (%v), want 200 and a list", d.ID, resp.Status, err)
		}
		var got []string
		for _, r := range repos {
			got = append(got, r.RepoPath)
			switch {
			case r.SnapWarehouse != "aliyun_snapshot_from_"+r.RepoPath:
				return fmt.Sprintf("%s lists %s with snapWarehouse %q, want aliyun_snapshot_from_%s (the reference's example)", d.ID, r.RepoPath, r.SnapWarehouse, r.RepoPath)
			case r.Status != world.RepoAvailable && r.Status != world.RepoUnavailable:
				return fmt.Sprintf("%s lists %s with status %q, want %s or %s", d.ID, r.RepoPath, r.Status, world.RepoAvailable, world.RepoUnavailable)
			case r.InstanceID != r.RepoPath && r.InstanceID != d.ID:
				return fmt.Sprintf("%s lists %s with instanceId %q, which names neither instance", d.ID, r.RepoPath, r.InstanceID)
			}
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
}

// hostileRequest is a stepHostile: an input no instance has, or an
// instance the caller cannot see. The documented InstanceNotFound is
// demanded where an add or a delete names a destination that is unknown or
// another account's; a read of one is refused or, for a list, empty (the
// reference documents no error for reads); any refusal elsewhere; never a
// 5xx or a hang; nothing changes (the lists after it are checked).
func (e *env) hostileRequest(st step, d, s *checks.Instance, m *model) (*apiclient.Request, func(*apiclient.Response) string, bool) {
	in := hostileInputs[st.hostile]
	refused := func(what string) func(*apiclient.Response) string {
		return func(resp *apiclient.Response) string {
			if p := refusedProblems(resp, ""); len(p) > 0 {
				return fmt.Sprintf("%s: want %s: %s", what, wantRefused(""), strings.Join(p, "; "))
			}
			return ""
		}
	}
	unseenRead := func(r *apiclient.Request, what string) func(*apiclient.Response) string {
		return func(resp *apiclient.Response) string {
			if p := unseenReadProblems(resp, r); len(p) > 0 {
				return fmt.Sprintf("%s: want %s: %s", what, wantUnseenRead, strings.Join(p, "; "))
			}
			return ""
		}
	}
	notFound := func(r *apiclient.Request, what string) func(*apiclient.Response) string {
		if r.Method == http.MethodGet {
			return unseenRead(r, what)
		}
		nf := apierror.InstanceNotFound
		return func(resp *apiclient.Response) string {
			if p := errorProblems(resp, nf.Status, nf.Code, nf.Message); len(p) > 0 {
				return fmt.Sprintf("%s: want %d %s (documented): %s", what, nf.Status, nf.Code, strings.Join(p, "; "))
			}
			return ""
		}
	}
	// anyOp is one of the operations on a destination, chosen by the step.
	anyOp := func(dest string) *apiclient.Request {
		ops := []*apiclient.Request{stateDialects[st.dialect].add(dest, s.ID), apiclient.List(dest), apiclient.Delete(dest, s.ID)}
		if e.cfg.has(CapDescribe) {
			ops = append(ops, apiclient.Describe(dest))
		}
		if e.cfg.has(CapAlternatives) {
			ops = append(ops, apiclient.Alternatives(dest, st.alreadySet))
		}
		return ops[(st.src+st.hostile)%len(ops)]
	}
	switch st.op {
	case hostileAddDest:
		return stateDialects[st.dialect].add(in.value, s.ID), refused("adding " + s.ID + " to a destination ID holding " + in.name), false
	case hostileAddSource:
		return stateDialects[st.dialect].add(d.ID, in.value), refused("adding a repoPath holding " + in.name + " to " + d.ID), true
	case hostileDelete:
		return apiclient.Delete(d.ID, in.value), func(resp *apiclient.Response) string {
			if p := answeredProblems(resp); len(p) > 0 {
				return fmt.Sprintf("deleting a repoPath holding %s from %s: want %s: %s", in.name, d.ID, wantAnswered, strings.Join(p, "; "))
			}
			return ""
		}, true
	case hostileRead:
		r := apiclient.List(in.value)
		if st.alreadySet && e.cfg.has(CapDescribe) {
			r = apiclient.Describe(in.value)
		}
		return r, unseenRead(r, r.Action+" of an ID holding "+in.name), false
	case hostileUnknown:
		r := anyOp(e.cases.unknownDest)
		return r, notFound(r, r.Action+" of a destination no world holds"), false
	case hostileTheirs:
		theirs := e.cases.otherAccountDest()
		r := anyOp(theirs.Dest)
		return r, notFound(r, r.Action+" of another account's destination "+theirs.Dest), false
	case hostileNoRepoPath:
		r := apiclient.Delete(d.ID, s.ID)
		what := "without repoPath"
		if st.hostile%2 == 1 {
			r.Query.Set("repoPath", "")
			what = "with an empty repoPath"
		} else {
			r.Query.Del("repoPath")
		}
		return r, func(resp *apiclient.Response) string {
			if p := answeredProblems(resp); len(p) > 0 {
				return fmt.Sprintf("deleting %s from %s: want %s: %s", what, d.ID, wantAnswered, strings.Join(p, "; "))
			}
			return ""
		}, true
	}
	// hostileEmptyToken: an empty clientToken is no token; the delete is
	// answered as one without it, or refused, and the model follows.
	r := apiclient.Delete(d.ID, s.ID)
	r.Query.Set("clientToken", "")
	return r, func(resp *apiclient.Response) string {
		if p := answeredProblems(resp); len(p) > 0 {
			return fmt.Sprintf("deleting %s from %s with an empty clientToken: want %s: %s", s.ID, d.ID, wantAnswered, strings.Join(p, "; "))
		}
		if accepted(resp) && m.has(d.ID, s.ID) {
			m.repos[d.ID] = slices.DeleteFunc(m.repos[d.ID], func(x string) bool { return x == s.ID })
		}
		return ""
	}, true
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
				skip(fmt.Sprintf("not run: started from a dirty state because %s", why))
			}
		}
	}
}

// shrink drops steps one at a time while the sequence still fails.
func (e *env) shrink(ctx context.Context, q *sequencer, pools statePools, steps []step, f *stateFailure) ([]step, *stateFailure) {
	steps = steps[:f.at+1]
	for changed := true; changed; {
		changed = false
		for i := len(steps) - 1; i >= 0 && len(steps) > 1; i-- {
			shorter := slices.Delete(slices.Clone(steps), i, i+1)
			if g := e.runSequence(ctx, q, pools, shorter); g != nil && !g.sideEffect {
				steps, f, changed = shorter[:g.at+1], g, true
			}
		}
	}
	return steps, f
}

// needPools is the state pools of a spec that writes and lists them
// (STATE-MODEL, ROB-CONCURRENT): the spec is disabled without the list and
// delete capabilities, skipped when the world has no pools, planned in a
// dry run.
func (e *env) needPools() statePools {
	GinkgoHelper()
	e.need(CapList, CapDelete)
	pools, ok := e.statePools()
	if !ok {
		use(found{missing: fmt.Sprintf("the world cannot exercise this: add a destination of account %s in %s with four sources no newer than it", e.account, e.cfg.Region)})
	}
	if e.cfg.DryRun {
		planned()
	}
	return pools
}

func (e *env) stateSpecs() {
	Describe("state", func() {
		e.it("STATE-MODEL", "random sequences of operations agree with the model after every step", func(ctx SpecContext) {
			pools := e.needPools()
			e.resetPools(ctx, pools, nil)
			e.startClean(ctx, pools)
			seed := GinkgoRandomSeed()
			rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
			q := e.newSequencer()
			sequences, length := e.cfg.Stateful, stateSteps
			if e.cfg.Thorough {
				sequences, length = 4*sequences, 2*length
			}
			// The sweep first, the same every run; then the random sequences.
			for n := range sequences + 1 {
				steps, name := e.sweep(pools), "the sweep (every pair added, then deleted one at a time)"
				if n > 0 {
					steps, name = e.generate(rng, pools, length), fmt.Sprintf("sequence %d of seed %d", n, seed)
				}
				f := e.runSequence(ctx, q, pools, steps)
				if f == nil || f.sideEffect {
					// A refusal's leftover is RULE-NO-SIDE-EFFECT's, recorded
					// there; the model cannot go on from it.
					continue
				}
				short, g := e.shrink(ctx, q, pools, steps, f)
				fail(fmt.Sprintf("[%s] %s disagrees with the model after step %d of %d (shrunk from %d): %s\n%s\nreplay: conform run --seed %d --label-filter STATE-MODEL",
					ids(), name, g.at+1, len(short), len(steps), g.why, strings.Join(g.log, "\n"), seed))
			}
		})
	})
}

// stateSteps is the length of one sequence.
const stateSteps = 24
