// Package report turns a suite run into results per requirement and writes
// them for people (console, Markdown) and machines (JSON, JUnit). Every
// report names the IDs that failed and why.
package report

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/snaprepo/conform/catalogue"
)

// State is a spec's or a requirement's outcome.
type State string

// The outcomes. Skipped: the world cannot exercise it. Disabled: the
// configuration turned the capability off. NotRun: no spec of the
// requirement ran (filtered out by labels). Planned: a dry run found every
// case the spec needs in the world.
const (
	Passed   State = "passed"
	Failed   State = "failed"
	Skipped  State = "skipped"
	Disabled State = "disabled"
	NotRun   State = "not-run"
	Planned  State = "planned"
)

// Report entries by which a spec says, as data rather than message text, why
// it did not run; the suite adds them with Ginkgo's AddReportEntry.
const (
	EntryDisabled    = "conform:disabled"    // a capability the spec needs is off
	EntryUnexercised = "conform:unexercised" // the world lacks a case
	EntryPlanned     = "conform:planned"     // dry run: the world has every case
	EntrySettled     = "conform:settled"     // a list showed a write only after a while
	EntryThrottled   = "conform:throttled"   // requests the endpoint throttled, sent again
	EntryUnobserved  = "conform:unobserved"  // a check the implementation's answers could not show
)

// filteredOut is the reason of a spec the label filter left out.
const filteredOut = "filtered out by the label filter"

// Spec is one spec's outcome.
type Spec struct {
	Name         string        `json:"name"`
	Requirements []string      `json:"requirements"`
	State        State         `json:"state"`
	Reason       string        `json:"reason,omitempty"`
	Duration     time.Duration `json:"durationNs"`
	// Level is the level label the spec carries (MUST or SHOULD): its
	// requirement's level, as label filters select it.
	Level string `json:"level"`
	// Location is where the spec is written: its file, from the module's
	// root, and line, e.g. suite/rules_specs.go:42.
	Location string `json:"location"`
	// Unexercised: the world lacks a case this spec needs.
	Unexercised bool `json:"unexercised,omitempty"`
	// Settled says, for each list that showed a write only after a while,
	// which and how long it took (the settle time allows it).
	Settled []string `json:"settled,omitempty"`
	// Throttled is how many of the spec's requests the endpoint throttled
	// (429 or a Throttling code) and the suite sent again after a pause.
	Throttled int `json:"throttled,omitempty"`
	// Unobserved says, for each check the implementation's answers could
	// not show (a destination that is not active, whose list it refuses,
	// cannot show what a refused add left), what and why.
	Unobserved []string `json:"unobserved,omitempty"`
}

// Requirement is one requirement's outcome over its specs.
type Requirement struct {
	catalogue.Requirement
	State  State  `json:"state"`
	Reason string `json:"reason,omitempty"`
	Specs  []int  `json:"specs"` // indexes into Run.Specs
	// Selected is false when the label filter left out every spec.
	Selected bool `json:"selected"`
}

// Run is a whole run.
type Run struct {
	Endpoint         string        `json:"endpoint"`
	World            string        `json:"world"`
	WorldDigest      string        `json:"worldDigest"`
	ToolVersion      string        `json:"toolVersion"`
	CatalogueVersion string        `json:"catalogueVersion"`
	Capabilities     []string      `json:"capabilities"`
	CapabilitiesOff  []string      `json:"capabilitiesOff"`
	DryRun           bool          `json:"dryRun,omitempty"`
	Started          time.Time     `json:"started"`
	Duration         time.Duration `json:"durationNs"`
	Requirements     []Requirement `json:"requirements"`
	Specs            []Spec        `json:"specs"`
	// Exhaustive is what an exhaustive run compared; nil when the run was
	// not exhaustive.
	Exhaustive *Exhaustive `json:"exhaustive,omitempty"`
}

// Exhaustive is what an exhaustive run compared: every ordered pair of the
// world (destination, source) is sent and its answer compared with the
// oracle's, less the pairs it leaves out on purpose.
type Exhaustive struct {
	// Pairs is the number of ordered pairs of the world.
	Pairs int `json:"pairs"`
	// Compared pairs were sent and their answers compared with the oracle.
	Compared int `json:"compared"`
	// Disagreeing is how many of them were answered otherwise.
	Disagreeing int `json:"disagreeing"`
	// Existing pairs are left out: repositories the world already holds.
	Existing int `json:"existing"`
	// Undecided pairs are left out: the rules lack a fact to decide them.
	Undecided int `json:"undecided"`
	// NotCompared pairs were to be compared, but their specs did not run
	// (a label filter, the deadline, an endpoint that stopped answering).
	NotCompared int `json:"notCompared"`
}

// Line says in one line what an exhaustive run compared.
func (x *Exhaustive) Line() string {
	repositories := "repositories"
	if x.Existing == 1 {
		repositories = "repository"
	}
	line := fmt.Sprintf("exhaustive: %d of %d pairs compared, %d disagree; left out: %d %s of the world, %d the rules cannot decide",
		x.Compared, x.Pairs, x.Disagreeing, x.Existing, repositories, x.Undecided)
	if x.NotCompared > 0 {
		line += fmt.Sprintf("; %d not compared (their specs did not run)", x.NotCompared)
	}
	return line
}

// Meta is what the report says of the run beyond the specs.
type Meta struct {
	Endpoint, World, WorldDigest, ToolVersion string
	// Capabilities the run held the implementation to, and those it was
	// told the implementation lacks.
	Capabilities, CapabilitiesOff []string
	DryRun                        bool
}

// FromGinkgo builds the run from Ginkgo's report: each spec's labels name
// its requirements; a requirement failed when any of its specs failed, passed
// when one passed and none failed, else it carries the first skip's reason.
func FromGinkgo(g types.Report, cat *catalogue.Catalogue, m Meta) *Run {
	run := &Run{Endpoint: m.Endpoint, World: m.World, WorldDigest: m.WorldDigest, ToolVersion: m.ToolVersion,
		CatalogueVersion: cat.Version, Capabilities: nonNil(m.Capabilities), CapabilitiesOff: nonNil(m.CapabilitiesOff), DryRun: m.DryRun,
		Started: g.StartTime, Duration: g.RunTime}
	selects := func([]string) bool { return true }
	if g.SuiteConfig.LabelFilter != "" {
		if f, err := types.ParseLabelFilter(g.SuiteConfig.LabelFilter); err == nil {
			selects = f
		}
	}
	index := map[string]int{}
	for _, r := range cat.Requirements {
		index[r.ID] = len(run.Requirements)
		run.Requirements = append(run.Requirements, Requirement{Requirement: r, State: NotRun, Reason: "no spec ran: " + filteredOut})
	}
	for _, s := range g.SpecReports {
		if !s.LeafNodeType.Is(types.NodeTypeIt) {
			continue
		}
		var ids []string
		level := ""
		for _, l := range s.Labels() {
			if _, ok := index[l]; ok {
				ids = append(ids, l)
			}
			if l == catalogue.Must || l == catalogue.Should {
				level = l
			}
		}
		if len(ids) == 0 {
			continue // a spec of the embedding suite, not conform's
		}
		spec := Spec{Name: strings.Join(ids, " ") + " | " + s.FullText(), Requirements: ids, Duration: s.RunTime, Level: level, Location: location(s.LeafNodeLocation)}
		for _, en := range s.ReportEntries {
			switch en.Name {
			case EntrySettled:
				spec.Settled = append(spec.Settled, en.Value.String())
			case EntryUnobserved:
				spec.Unobserved = append(spec.Unobserved, en.Value.String())
			case EntryThrottled:
				if n, ok := en.Value.GetRawValue().(int); ok {
					spec.Throttled += n
				}
			}
		}
		switch {
		case s.State == types.SpecStatePassed:
			spec.State = Passed
		case s.State == types.SpecStateSkipped && !selects(s.Labels()):
			spec.State = NotRun
			spec.Reason = filteredOut
		case s.State == types.SpecStateSkipped && s.Failure.Message == "":
			// Selected, yet Ginkgo never ran it (an interrupted run).
			spec.State = NotRun
			spec.Reason = "not run: the run ended before this spec"
		case s.State == types.SpecStateSkipped && hasEntry(s, EntryDisabled):
			spec.State = Disabled
			spec.Reason = s.Failure.Message
		case s.State == types.SpecStateSkipped && hasEntry(s, EntryPlanned):
			spec.State = Planned
			spec.Reason = s.Failure.Message
		case s.State == types.SpecStateSkipped:
			spec.State = Skipped
			spec.Reason = s.Failure.Message
			spec.Unexercised = hasEntry(s, EntryUnexercised)
		case s.State == types.SpecStatePending:
			spec.State = NotRun
			spec.Reason = "pending"
		default:
			spec.State = Failed
			spec.Reason = s.Failure.Message
			if spec.Reason == "" {
				spec.Reason = s.State.String()
			}
		}
		run.Specs = append(run.Specs, spec)
		for _, id := range ids {
			r := &run.Requirements[index[id]]
			r.Specs = append(r.Specs, len(run.Specs)-1)
			r.Selected = r.Selected || spec.Reason != filteredOut
		}
	}
	for i := range run.Requirements {
		run.Requirements[i].State, run.Requirements[i].Reason = run.summarize(&run.Requirements[i])
	}
	return run
}

// location is a code location as the reports give it: the file from the
// package directory on (the module root of conform's own specs, wherever
// the module sits — a checkout, the module cache, -trimpath) and the line.
func location(l types.CodeLocation) string {
	if l.FileName == "" {
		return ""
	}
	file := filepath.ToSlash(l.FileName)
	if dir := path.Base(path.Dir(file)); dir != "." && dir != "/" {
		file = dir + "/" + path.Base(file)
	}
	return fmt.Sprintf("%s:%d", file, l.LineNumber)
}

// hasEntry reports whether the spec carries the report entry name.
func hasEntry(s types.SpecReport, name string) bool {
	return slices.ContainsFunc(s.ReportEntries, func(e types.ReportEntry) bool { return e.Name == name })
}

// rank orders states by how much they say: a failure outweighs a pass,
// a pass a plan, a plan a skip, a skip a disabled spec.
var rank = map[State]int{Failed: 6, Passed: 5, Planned: 4, Skipped: 3, Disabled: 2, NotRun: 1}

func (run *Run) summarize(r *Requirement) (State, string) {
	if len(r.Specs) == 0 {
		return NotRun, r.Reason
	}
	best := NotRun
	reason := r.Reason
	for _, i := range r.Specs {
		s := run.Specs[i]
		if rank[s.State] > rank[best] {
			best, reason = s.State, s.Reason
		}
	}
	if best == Passed {
		var partial []string
		for _, i := range r.Specs {
			if s := run.Specs[i]; s.State == Skipped || s.State == Disabled {
				partial = append(partial, s.Reason)
			}
		}
		if len(partial) > 0 {
			return Passed, "passed where exercised; " + partial[0]
		}
		return Passed, ""
	}
	if best == Planned {
		n, skip := 0, ""
		for _, i := range r.Specs {
			switch s := run.Specs[i]; {
			case s.State == Planned:
				n++
			case skip == "" && (s.State == Skipped || s.State == Disabled):
				skip = s.Reason
			}
		}
		if skip != "" {
			return Planned, fmt.Sprintf("%d of %d spec(s) would run; not the others: %s", n, len(r.Specs), skip)
		}
		return Planned, fmt.Sprintf("%d spec(s) would run", n)
	}
	return best, reason
}

// Outcome is what a whole run proved; the CLI's exit code follows it.
type Outcome string

// The outcomes of a run: Complete (every selected requirement ran, or a dry
// run exercises every MUST, and nothing failed), Failed (a requirement
// failed), Incomplete (nothing failed, but a selected MUST requirement was
// skipped or not run: nothing was proven about it).
const (
	Complete   Outcome = "complete"
	FailedRun  Outcome = "failed"
	Incomplete Outcome = "incomplete"
)

// Outcome is the run's outcome: failed over incomplete over complete.
func (run *Run) Outcome() Outcome {
	switch {
	case run.Failed():
		return FailedRun
	case len(run.IncompleteIDs()) > 0:
		return Incomplete
	}
	return Complete
}

// IncompleteIDs are the selected MUST requirements not fully exercised:
// skipped or not run, or with a spec whose case the world lacks (RULE-VERSION
// exercised by minor but not by major is not proven). A requirement disabled
// by configuration is not incomplete: the vendor declared it absent.
func (run *Run) IncompleteIDs() []string {
	var out []string
	for _, r := range run.Requirements {
		if r.Level != catalogue.Must || !r.Selected || r.State == Failed || r.State == Disabled {
			continue
		}
		partial := slices.ContainsFunc(r.Specs, func(i int) bool { return run.Specs[i].Unexercised })
		if r.State == Passed || r.State == Planned {
			if !partial {
				continue
			}
		}
		out = append(out, r.ID)
	}
	return out
}

// Fail records a failure of requirement id found outside its specs (the
// suite's cleanup), as one more failed spec named what.
func (run *Run) Fail(id, what, reason string) {
	for i := range run.Requirements {
		r := &run.Requirements[i]
		if r.ID != id {
			continue
		}
		run.Specs = append(run.Specs, Spec{Name: id + " | " + what, Requirements: []string{id}, State: Failed, Reason: reason})
		r.Specs = append(r.Specs, len(run.Specs)-1)
		r.Selected = true
		r.State, r.Reason = run.summarize(r)
	}
}

// Failed reports whether any spec failed.
func (run *Run) Failed() bool {
	return slices.ContainsFunc(run.Specs, func(s Spec) bool { return s.State == Failed })
}

// FailedIDs are the requirements that failed, in catalogue order.
func (run *Run) FailedIDs() []string {
	var out []string
	for _, r := range run.Requirements {
		if r.State == Failed {
			out = append(out, r.ID)
		}
	}
	return out
}

// Counts is, per level, how many requirements ended in each state.
func (run *Run) Counts() map[string]map[State]int {
	out := map[string]map[State]int{catalogue.Must: {}, catalogue.Should: {}}
	for _, r := range run.Requirements {
		out[r.Level][r.State]++
	}
	return out
}
