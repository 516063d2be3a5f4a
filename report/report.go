// Package report turns a suite run into results per requirement and writes
// them for people (console, Markdown) and machines (JSON, JUnit). Every
// report names the IDs that failed and why.
package report

import (
	"slices"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/snaprepo/conform/catalogue"
)

// State is a spec's or a requirement's outcome.
type State string

// The outcomes. Disabled: the configuration turned the capability off.
// NotRun: no spec of the requirement ran (filtered out by labels).
const (
	Passed   State = "passed"
	Failed   State = "failed"
	Skipped  State = "skipped"
	Disabled State = "disabled"
	NotRun   State = "not-run"
)

// DisabledPrefix opens the skip message of a spec disabled by configuration.
const DisabledPrefix = "disabled by configuration: "

// Spec is one spec's outcome.
type Spec struct {
	Name         string        `json:"name"`
	Requirements []string      `json:"requirements"`
	State        State         `json:"state"`
	Reason       string        `json:"reason,omitempty"`
	Duration     time.Duration `json:"durationNs"`
}

// Requirement is one requirement's outcome over its specs.
type Requirement struct {
	catalogue.Requirement
	State  State  `json:"state"`
	Reason string `json:"reason,omitempty"`
	Specs  []int  `json:"specs"` // indexes into Run.Specs
}

// Run is a whole run.
type Run struct {
	Endpoint         string        `json:"endpoint"`
	World            string        `json:"world"`
	WorldDigest      string        `json:"worldDigest"`
	ToolVersion      string        `json:"toolVersion"`
	CatalogueVersion string        `json:"catalogueVersion"`
	Capabilities     []string      `json:"capabilities"`
	Started          time.Time     `json:"started"`
	Duration         time.Duration `json:"durationNs"`
	Requirements     []Requirement `json:"requirements"`
	Specs            []Spec        `json:"specs"`
}

// Meta is what the report says of the run beyond the specs.
type Meta struct {
	Endpoint, World, WorldDigest, ToolVersion string
	Capabilities                              []string
}

// FromGinkgo builds the run from Ginkgo's report: each spec's labels name
// its requirements; a requirement failed when any of its specs failed, passed
// when one passed and none failed, else it carries the first skip's reason.
func FromGinkgo(g types.Report, cat *catalogue.Catalogue, m Meta) *Run {
	run := &Run{Endpoint: m.Endpoint, World: m.World, WorldDigest: m.WorldDigest, ToolVersion: m.ToolVersion,
		CatalogueVersion: cat.Version, Capabilities: m.Capabilities, Started: g.StartTime, Duration: g.RunTime}
	index := map[string]int{}
	for _, r := range cat.Requirements {
		index[r.ID] = len(run.Requirements)
		run.Requirements = append(run.Requirements, Requirement{Requirement: r, State: NotRun, Reason: "no spec ran: filtered out by the label filter"})
	}
	for _, s := range g.SpecReports {
		if !s.LeafNodeType.Is(types.NodeTypeIt) {
			continue
		}
		var ids []string
		for _, l := range s.Labels() {
			if _, ok := index[l]; ok {
				ids = append(ids, l)
			}
		}
		spec := Spec{Name: strings.Join(ids, " ") + " | " + s.FullText(), Requirements: ids, Duration: s.RunTime}
		switch {
		case s.State == types.SpecStatePassed:
			spec.State = Passed
		case s.State == types.SpecStateSkipped && s.Failure.Message == "":
			spec.State = NotRun
			spec.Reason = "filtered out by the label filter"
		case s.State == types.SpecStateSkipped && strings.HasPrefix(s.Failure.Message, DisabledPrefix):
			spec.State = Disabled
			spec.Reason = s.Failure.Message
		case s.State == types.SpecStateSkipped:
			spec.State = Skipped
			spec.Reason = s.Failure.Message
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
		}
	}
	for i := range run.Requirements {
		run.Requirements[i].State, run.Requirements[i].Reason = run.summarize(&run.Requirements[i])
	}
	return run
}

// rank orders states by how much they say: a failure outweighs a pass,
// a pass a skip, a skip a disabled spec.
var rank = map[State]int{Failed: 5, Passed: 4, Skipped: 3, Disabled: 2, NotRun: 1}

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
	return best, reason
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
