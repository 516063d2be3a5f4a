package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/snaprepo/conform/catalogue"
)

// WriteJSON writes the whole run as one JSON document.
func (run *Run) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Run
		Failed []string                 `json:"failed"`
		Counts map[string]map[State]int `json:"counts"`
	}{run, nonNil(run.FailedIDs()), run.Counts()})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// short is the first line of a reason, cut for tables.
func short(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func (run *Run) countLine(level string) string {
	c := run.Counts()[level]
	return fmt.Sprintf("%s: %d passed, %d failed, %d skipped, %d disabled, %d not run", level, c[Passed], c[Failed], c[Skipped], c[Disabled], c[NotRun])
}

// WriteSummary writes Markdown: the run, then one row per requirement —
// ID, level, result, reason.
func (run *Run) WriteSummary(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# conform conformance summary\n\n")
	fmt.Fprintf(&b, "- endpoint: %s\n- world: %s (%s)\n- conform %s, requirement catalogue %s\n- started %s, took %s\n- %s\n- %s\n\n",
		run.Endpoint, run.World, run.WorldDigest, run.ToolVersion, run.CatalogueVersion,
		run.Started.UTC().Format("2006-01-02 15:04:05 UTC"), run.Duration.Round(1e6), run.countLine(catalogue.Must), run.countLine(catalogue.Should))
	b.WriteString("| ID | level | result | reason |\n|---|---|---|---|\n")
	for _, r := range run.Requirements {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.ID, r.Level, r.State, strings.ReplaceAll(short(r.Reason, 300), "|", "\\|"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var marks = map[State]string{Passed: "✓", Failed: "✗", Skipped: "-", Disabled: "○", NotRun: "·"}

// WriteConsole writes the per-requirement table for a terminal.
func (run *Run) WriteConsole(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nconform %s, requirement catalogue %s — %s\n", run.ToolVersion, run.CatalogueVersion, run.Endpoint)
	width := 0
	for _, r := range run.Requirements {
		width = max(width, len(r.ID))
	}
	for _, r := range run.Requirements {
		line := fmt.Sprintf("  %s %-6s %-*s %-8s", marks[r.State], r.Level, width, r.ID, r.State)
		if r.State != Passed || r.Reason != "" {
			line += "  " + short(r.Reason, 160)
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	fmt.Fprintf(&b, "%s\n%s\n", run.countLine(catalogue.Must), run.countLine(catalogue.Should))
	if failed := run.FailedIDs(); len(failed) > 0 {
		fmt.Fprintf(&b, "FAILED: %s\n", strings.Join(failed, ", "))
	} else {
		b.WriteString("nothing failed\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JUnit XML, the subset CI systems read.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     float64      `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       float64         `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes JUnit XML: one test case per spec, named by its
// requirement IDs first, classed by family; properties carry the versions.
func (run *Run) WriteJUnit(w io.Writer) error {
	family := map[string]string{}
	for _, r := range run.Requirements {
		family[r.ID] = r.Family
	}
	s := junitSuite{Name: "conform", Time: run.Duration.Seconds(), Timestamp: run.Started.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{"endpoint", run.Endpoint}, {"world", run.World}, {"worldDigest", run.WorldDigest},
			{"conformVersion", run.ToolVersion}, {"catalogueVersion", run.CatalogueVersion},
			{"capabilities", strings.Join(run.Capabilities, ",")}, {"failedRequirements", strings.Join(run.FailedIDs(), ",")},
		}}
	for _, sp := range run.Specs {
		c := junitCase{Name: sp.Name, Time: sp.Duration.Seconds()}
		if len(sp.Requirements) > 0 {
			c.Classname = "conform." + family[sp.Requirements[0]]
		}
		switch sp.State {
		case Failed:
			c.Failure = &junitMessage{Message: short(sp.Reason, 200), Text: sp.Reason}
			s.Failures++
		case Skipped, Disabled, NotRun:
			c.Skipped = &junitMessage{Message: string(sp.State) + ": " + short(sp.Reason, 200)}
			s.Skipped++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	doc := junitSuites{Name: "conform", Tests: s.Tests, Failures: s.Failures, Skipped: s.Skipped, Time: s.Time, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
