package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/internal/terminal"
)

// The exit codes of conform run, stated in every report.
const (
	ExitComplete   = 0 // every selected requirement ran and none failed
	ExitFailed     = 1 // a requirement failed
	ExitHarness    = 2 // harness or usage error: no spec ran
	ExitIncomplete = 3 // nothing failed, but a selected MUST requirement was skipped or not run
)

// ExitCode is the exit code of conform run for this outcome.
func (o Outcome) ExitCode() int {
	switch o {
	case FailedRun:
		return ExitFailed
	case Incomplete:
		return ExitIncomplete
	}
	return ExitComplete
}

// ExitCodesText documents the exit codes, for help texts and reports.
const ExitCodesText = `0  every selected requirement ran and none failed
1  a requirement failed
2  harness or usage error (unreachable endpoint, invalid world, bad flags, a label filter that selects nothing)
3  incomplete: nothing failed, but a selected MUST requirement was not (fully) exercised: the world lacks a case it needs, or it did not run`

// WriteJSON writes the whole run as one JSON document.
func (run *Run) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Run
		Failed     []string                 `json:"failed"`
		Incomplete []string                 `json:"incomplete"`
		Outcome    Outcome                  `json:"outcome"`
		ExitCode   int                      `json:"exitCode"`
		Counts     map[string]map[State]int `json:"counts"`
	}{run, nonNil(run.FailedIDs()), nonNil(run.IncompleteIDs()), run.Outcome(), run.Outcome().ExitCode(), run.Counts()})
}

// Verdict is the run's outcome in one sentence, with its exit code.
func (run *Run) Verdict() string {
	switch run.Outcome() {
	case FailedRun:
		return fmt.Sprintf("FAILED: %s (exit %d)", strings.Join(run.FailedIDs(), ", "), ExitFailed)
	case Incomplete:
		what := "were not (fully) exercised"
		if run.DryRun {
			what = "cannot be (fully) exercised by this world"
		}
		return fmt.Sprintf("INCOMPLETE: nothing failed, but these MUST requirements %s: %s (exit %d; --allow-incomplete makes it 0)",
			what, strings.Join(run.IncompleteIDs(), ", "), ExitIncomplete)
	}
	if run.DryRun {
		return fmt.Sprintf("the world exercises every selected MUST requirement (exit %d)", ExitComplete)
	}
	return fmt.Sprintf("nothing failed: every selected requirement ran (exit %d)", ExitComplete)
}

// CapabilitiesLine names the capabilities the result holds for.
func (run *Run) CapabilitiesLine() string {
	line := "holds for capabilities: " + orNoneList(run.Capabilities)
	if len(run.CapabilitiesOff) > 0 {
		line += "; declared absent (their specs disabled): " + strings.Join(run.CapabilitiesOff, ", ")
	}
	return line
}

func orNoneList(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// short is the first line of a reason, cut for tables, control bytes
// escaped.
func short(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return terminal.Clip(s, n)
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
	fmt.Fprintf(&b, "- endpoint: %s\n- world: %s (%s)\n- conform %s, requirement catalogue %s\n- started %s, took %s\n- %s\n- %s\n- %s\n- **%s**\n\n",
		inertMarkdown(run.Endpoint), inertMarkdown(terminal.Escape(run.World)), run.WorldDigest, run.ToolVersion, run.CatalogueVersion,
		run.Started.UTC().Format("2006-01-02 15:04:05 UTC"), run.Duration.Round(1e6), run.countLine(catalogue.Must), run.countLine(catalogue.Should),
		run.CapabilitiesLine(), run.Verdict())
	if run.Exhaustive != nil {
		b.WriteString("- " + run.Exhaustive.Line() + "\n\n")
	}
	b.WriteString("| ID | level | result | reason |\n|---|---|---|---|\n")
	for _, r := range run.Requirements {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.ID, r.Level, r.State, inertMarkdown(short(r.Reason, 300)))
	}
	b.WriteString("\nExit codes of conform run:\n\n```\n" + ExitCodesText + "\n```\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// inertMarkdown is outside text (an implementation's answers, a world's
// name) made inert in Markdown: no table cell it can end, no HTML tag, link,
// image or code span it can open — a CI job summary or wiki that renders
// HTML shows it as text.
func inertMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '|', '[', ']', '(', ')', '`', '*', '_', '!', '#', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var marks = map[State]string{Passed: "✓", Failed: "✗", Skipped: "-", Disabled: "○", NotRun: "·", Planned: "→"}

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
	fmt.Fprintf(&b, "%s\n%s\n%s\n", run.countLine(catalogue.Must), run.countLine(catalogue.Should), run.CapabilitiesLine())
	if run.Exhaustive != nil {
		b.WriteString(run.Exhaustive.Line() + "\n")
	}
	b.WriteString(run.Verdict() + "\n")
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
			{"capabilities", strings.Join(run.Capabilities, ",")}, {"capabilitiesOff", strings.Join(run.CapabilitiesOff, ",")},
			{"failedRequirements", strings.Join(run.FailedIDs(), ",")}, {"incompleteRequirements", strings.Join(run.IncompleteIDs(), ",")},
			{"outcome", string(run.Outcome())}, {"exitCode", strconv.Itoa(run.Outcome().ExitCode())},
		}}
	if x := run.Exhaustive; x != nil {
		s.Properties = append(s.Properties, junitProperty{"exhaustivePairs", strconv.Itoa(x.Pairs)},
			junitProperty{"exhaustiveCompared", strconv.Itoa(x.Compared)}, junitProperty{"exhaustiveDisagreeing", strconv.Itoa(x.Disagreeing)})
	}
	for _, sp := range run.Specs {
		c := junitCase{Name: sp.Name, Time: sp.Duration.Seconds()}
		if len(sp.Requirements) > 0 {
			c.Classname = "conform." + family[sp.Requirements[0]]
		}
		switch sp.State {
		case Failed:
			c.Failure = &junitMessage{Message: short(sp.Reason, 200), Text: terminal.Escape(sp.Reason)}
			s.Failures++
		case Skipped, Disabled, NotRun, Planned:
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

// WritePlan writes a dry run: per requirement, the specs the world gives
// it, or why it cannot run and what to add to the world.
func (run *Run) WritePlan(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nconform %s, requirement catalogue %s — dry run of %s\n", run.ToolVersion, run.CatalogueVersion, terminal.Escape(run.World))
	width := 0
	for _, r := range run.Requirements {
		width = max(width, len(r.ID))
	}
	for _, r := range run.Requirements {
		line := fmt.Sprintf("  %s %-6s %-*s %-8s  %s", marks[r.State], r.Level, width, r.ID, r.State, short(r.Reason, 200))
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	fmt.Fprintf(&b, "%s\n%s\n", run.CapabilitiesLine(), run.Verdict())
	_, err := io.WriteString(w, b.String())
	return err
}
