package suite_test

import (
	"strings"
	"testing"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/report"
	"github.com/snaprepo/conform/suite"
	"github.com/snaprepo/conform/world"
)

// The catalogue and the specs are tied: every requirement has at least one
// spec, every spec names known requirements and its level, and every rule of
// the checker that stands for a requirement is in the catalogue. The specs
// are walked with a dry run (Ginkgo runs specs once per process, so this is
// the package's only run).
func TestEveryRequirementHasASpecAndEverySpecAKnownRequirement(t *testing.T) {
	cat, err := catalogue.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	w, err := world.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	res, err := suite.Execute(t, suite.Config{
		Endpoint: "http://127.0.0.1:1", World: w, DryRun: true, Exhaustive: true,
		Credentials: &acs.Credentials{AccessKeyID: "LTAI5tConformPrimary01", AccessKeySecret: "x"},
	}, discard{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Specs) < len(cat.Requirements) {
		t.Fatalf("only %d specs", len(res.Specs))
	}
	for _, r := range res.Requirements {
		if len(r.Specs) == 0 {
			t.Errorf("requirement %s has no spec", r.ID)
		}
	}
	for _, s := range res.Specs {
		if len(s.Requirements) != 1 {
			t.Errorf("spec %q names %d requirements, want exactly one", s.Name, len(s.Requirements))
			continue
		}
		// The ID is stated once, as a label: no title can name another.
		_, text, _ := strings.Cut(s.Name, " | ")
		for _, r := range cat.Requirements {
			if strings.Contains(text, r.ID) {
				t.Errorf("spec %q names %s in its title: requirement IDs belong in labels only", s.Name, r.ID)
			}
		}
		// Each spec carries its requirement's level as a label (label
		// filters select by it) and sits in its family's file.
		r, _ := cat.Lookup(s.Requirements[0])
		if s.Level != r.Level {
			t.Errorf("spec %q carries level label %q, want %s (its requirement's)", s.Name, s.Level, r.Level)
		}
		file, _, _ := strings.Cut(s.Location, ":")
		if file != r.SpecFile() && file != catalogue.ExhaustiveSpecFile {
			t.Errorf("spec %q is written at %s, want it in %s (family %s)", s.Name, s.Location, r.SpecFile(), r.Family)
		}
		if !strings.HasPrefix(s.Location, file+":") || strings.HasSuffix(s.Location, ":0") {
			t.Errorf("spec %q: location %q has no line", s.Name, s.Location)
		}
		exhaustive := strings.Contains(s.Name, " exhaustive ")
		if s.State != report.Planned && (!exhaustive || s.State != report.Skipped) {
			t.Errorf("dry run: spec %q is %s (%s)", s.Name, s.State, s.Reason)
		}
	}
	if got := res.Outcome(); got != report.Complete {
		t.Errorf("dry run of the built-in world: outcome %s, incomplete %v", got, res.IncompleteIDs())
	}
	// A second run in the process is an error that says what to do, not
	// Ginkgo ending the process.
	if _, err := suite.Execute(t, suite.Config{Endpoint: "http://127.0.0.1:1", World: w, DryRun: true,
		Credentials: &acs.Credentials{AccessKeyID: "LTAI5tConformPrimary01", AccessKeySecret: "x"}}, discard{}); err == nil || !suite.IsHarness(err) || !strings.Contains(err.Error(), "suite.Register") {
		t.Errorf("a second Execute: %v", err)
	}
	for _, rule := range checks.Rules() {
		if _, ok := cat.Lookup(rule.ID); !ok && !rule.Advisory {
			t.Errorf("rule %s refuses but is not a requirement of the catalogue", rule.ID)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
