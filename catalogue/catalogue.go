// Package catalogue is the requirement catalogue (docs/requirements.md) as data,
// read from fixtures/requirements.yaml: the one definition of every
// requirement ID, its level, family and statement.
package catalogue

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/snaprepo/conform/fixtures"
)

// Levels of a requirement.
const (
	Must   = "MUST"
	Should = "SHOULD"
)

// Families, in report order: one spec file each in the suite.
var familyOrder = []string{"request", "success", "errors", "rules", "auth", "robustness", "sdk", "state"}

// Requirement is one entry of the catalogue.
type Requirement struct {
	ID        string `yaml:"id" json:"id"`
	Family    string `yaml:"family" json:"family"`
	Level     string `yaml:"level" json:"level"`
	Statement string `yaml:"statement" json:"statement"`
	Source    string `yaml:"source" json:"source"`
	// Open says what the documentation leaves open, where every
	// reasonable answer passes.
	Open string `yaml:"open,omitempty" json:"open,omitempty"`
	// Since is the catalogue version that introduced the requirement.
	Since string `yaml:"since" json:"since"`
}

// Catalogue is every requirement, in catalogue order.
type Catalogue struct {
	Version      string        `yaml:"version" json:"version"`
	Requirements []Requirement `yaml:"requirements" json:"requirements"`
	byID         map[string]int
}

// Builtin reads the embedded catalogue.
func Builtin() (*Catalogue, error) { return Parse(fixtures.Requirements) }

// Parse reads and checks a catalogue.
func Parse(data []byte) (*Catalogue, error) {
	var c Catalogue
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("requirements.yaml: %w", err)
	}
	if c.Version == "" {
		return nil, fmt.Errorf("requirements.yaml: version: missing (want e.g. \"1.0.0\")")
	}
	c.byID = map[string]int{}
	for i, r := range c.Requirements {
		switch {
		case r.ID == "":
			return nil, fmt.Errorf("requirements.yaml: requirements[%d]: id: missing", i)
		case r.Level != Must && r.Level != Should:
			return nil, fmt.Errorf("requirements.yaml: %s: level %q is not a level (want MUST or SHOULD)", r.ID, r.Level)
		case !slices.Contains(familyOrder, r.Family):
			return nil, fmt.Errorf("requirements.yaml: %s: family %q is not a family (want one of %v)", r.ID, r.Family, familyOrder)
		case r.Statement == "":
			return nil, fmt.Errorf("requirements.yaml: %s: statement: missing", r.ID)
		case r.Since == "":
			return nil, fmt.Errorf("requirements.yaml: %s: since: missing (want the catalogue version that introduced it, e.g. \"1.0.0\")", r.ID)
		}
		if _, dup := c.byID[r.ID]; dup {
			return nil, fmt.Errorf("requirements.yaml: %s: duplicate id", r.ID)
		}
		c.byID[r.ID] = i
	}
	return &c, nil
}

// Lookup is the requirement with that ID.
func (c *Catalogue) Lookup(id string) (Requirement, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Requirement{}, false
	}
	return c.Requirements[i], true
}

// Markdown is the catalogue as docs/requirements.md holds it, generated:
// `conform requirements > docs/requirements.md`.
func (c *Catalogue) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Requirement catalogue %s\n\n", c.Version)
	b.WriteString("Generated from `fixtures/requirements.yaml` by `conform requirements`; a test keeps this copy current.\n")
	b.WriteString("Every spec of `conform run` carries its requirement's ID and level as Ginkgo labels, and sits in its family's file\n")
	b.WriteString("(named under each family; the reports give each spec's file and line as `location`); `conform run --exhaustive`'s\n")
	b.WriteString("pair comparisons, labelled with the rule that decides each pair, sit in `" + ExhaustiveSpecFile + "`.\n")
	b.WriteString("Where the platform's documentation leaves an outcome open, the last column says what passes:\n")
	b.WriteString("an honest implementation never fails for a choice the documentation does not make.\n")
	for _, f := range familyOrder {
		file := Requirement{Family: f}.SpecFile()
		fmt.Fprintf(&b, "\n## %s\n\nSpecs: [`%s`](../%s).\n\n| ID | level | since | requirement | source | left open |\n|---|---|---|---|---|---|\n", f, file, file)
		for _, r := range c.Requirements {
			if r.Family != f {
				continue
			}
			open := r.Open
			if open == "" {
				open = "—"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.ID, r.Level, r.Since, cell(r.Statement), r.Source, cell(open))
		}
	}
	return b.String()
}

// SpecFile is the file of the suite that holds the requirement's specs:
// one file per family (suite/<family>_specs.go). The exhaustive run's
// pair comparisons, for every rule at once, sit in ExhaustiveSpecFile.
func (r Requirement) SpecFile() string { return "suite/" + r.Family + "_specs.go" }

// ExhaustiveSpecFile holds the specs of conform run --exhaustive: each
// compares one destination's pairs and is labelled with the requirement
// that decides them.
const ExhaustiveSpecFile = "suite/exhaustive_specs.go"

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// Families lists the families in report order.
func Families() []string { return slices.Clone(familyOrder) }
