package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/snaprepo/conform/catalogue"
)

func spec(state types.SpecState, msg string, labels ...string) types.SpecReport {
	return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: "spec of " + labels[0], LeafNodeLabels: labels,
		State: state, Failure: types.Failure{Message: msg}, RunTime: time.Millisecond}
}

// marked is a skipped spec carrying the typed report entry name.
func marked(name, msg string, labels ...string) types.SpecReport {
	s := spec(types.SpecStateSkipped, msg, labels...)
	s.ReportEntries = types.ReportEntries{{Name: name}}
	return s
}

func sampleRun(t *testing.T, specs ...types.SpecReport) *Run {
	t.Helper()
	return filteredRun(t, "", specs...)
}

// filteredRun is the run of specs under a Ginkgo label filter.
func filteredRun(t *testing.T, filter string, specs ...types.SpecReport) *Run {
	t.Helper()
	cat, err := catalogue.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	g := types.Report{SpecReports: specs, StartTime: time.Unix(0, 0), RunTime: time.Second}
	g.SuiteConfig.LabelFilter = filter
	return FromGinkgo(g, cat,
		Meta{Endpoint: "http://127.0.0.1:1", World: "w", WorldDigest: "sha256:x", ToolVersion: "9.9.9", Capabilities: []string{"list"}, CapabilitiesOff: []string{"auth"}})
}

func stateOf(run *Run, id string) (State, string) {
	for _, r := range run.Requirements {
		if r.ID == id {
			return r.State, r.Reason
		}
	}
	return "", ""
}

func TestRequirementStateIsTheMostTellingOfItsSpecs(t *testing.T) {
	run := filteredRun(t, "!REQ-JSON-BODY",
		spec(types.SpecStatePassed, "", "OK-CREATED", "MUST"),
		spec(types.SpecStateFailed, "[OK-CREATED] expected success", "OK-CREATED", "MUST"),
		marked(EntryDisabled, "disabled by configuration: capability list is off", "OK-LISTED", "SHOULD"),
		marked(EntryUnexercised, "the world cannot exercise this: add two instances", "OK-REPEAT", "SHOULD"),
		spec(types.SpecStateSkipped, "", "REQ-JSON-BODY", "MUST"),
		spec(types.SpecStatePassed, "", "RULE-VERSION", "MUST"),
		spec(types.SpecStateSkipped, "the world cannot exercise this: add a patch", "RULE-VERSION", "MUST"),
		spec(types.SpecStateTimedout, "", "ERR-INSTANCE-ACTIVATING", "MUST"),
	)
	tests := []struct {
		id     string
		state  State
		reason string
	}{
		{"OK-CREATED", Failed, "expected success"},
		{"OK-LISTED", Disabled, "capability list is off"},
		{"OK-REPEAT", Skipped, "add two instances"},
		{"REQ-JSON-BODY", NotRun, "filtered out"},
		{"RULE-VERSION", Passed, "passed where exercised; the world cannot exercise this: add a patch"},
		{"ERR-INSTANCE-ACTIVATING", Failed, "timedout"},
		{"SDK-CLASSIC", NotRun, "no spec ran"},
	}
	for _, tt := range tests {
		state, reason := stateOf(run, tt.id)
		if state != tt.state || !strings.Contains(reason, tt.reason) {
			t.Errorf("%s: %s %q, want %s containing %q", tt.id, state, reason, tt.state, tt.reason)
		}
	}
	if got := run.FailedIDs(); strings.Join(got, ",") != "OK-CREATED,ERR-INSTANCE-ACTIVATING" || !run.Failed() {
		t.Errorf("failed %v", got)
	}
	if c := run.Counts()[catalogue.Must]; c[Failed] != 2 || c[Passed] != 1 {
		t.Errorf("MUST counts %v", c)
	}
}

func TestWritersNameFailuresAndVersions(t *testing.T) {
	run := sampleRun(t,
		spec(types.SpecStateFailed, "[OK-CREATED] expected success\nrequest: POST /x", "OK-CREATED", "MUST"),
		marked(EntryDisabled, "disabled by configuration: capability list is off", "OK-LISTED", "SHOULD"))

	var j bytes.Buffer
	if err := run.WriteJUnit(&j); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suite    struct {
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(j.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit is not XML: %v", err)
	}
	if doc.Tests != 2 || doc.Failures != 1 || !strings.HasPrefix(doc.Suite.Cases[0].Name, "OK-CREATED | ") || doc.Suite.Cases[0].Failure == nil {
		t.Errorf("JUnit: %+v", doc)
	}
	props := map[string]string{}
	for _, p := range doc.Suite.Properties {
		props[p.Name] = p.Value
	}
	if props["conformVersion"] != "9.9.9" || props["catalogueVersion"] == "" || props["failedRequirements"] != "OK-CREATED" {
		t.Errorf("properties %v", props)
	}

	var js bytes.Buffer
	run.WriteJSON(&js)
	var parsed map[string]any
	if err := json.Unmarshal(js.Bytes(), &parsed); err != nil || parsed["toolVersion"] != "9.9.9" || parsed["catalogueVersion"] == "" {
		t.Errorf("JSON: %v %v", err, parsed["toolVersion"])
	}

	var md bytes.Buffer
	run.WriteSummary(&md)
	if !strings.Contains(md.String(), "| OK-CREATED | MUST | failed | \\[OK-CREATED\\] expected success |") || !strings.Contains(md.String(), "conform 9.9.9, requirement catalogue") {
		t.Errorf("summary:\n%s", md.String())
	}

	var console bytes.Buffer
	run.WriteConsole(&console)
	if !strings.Contains(console.String(), "FAILED: OK-CREATED") {
		t.Errorf("console:\n%s", console.String())
	}

	var html bytes.Buffer
	if err := run.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="req-OK-CREATED" data-state="failed"`, "request: POST /x", `id="only-failures"`, "capability list is off", `title="the catalogue version that introduced it">since 1.0.0</small>`} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestBadgeIsGreenOnlyWhenEveryMustPassed(t *testing.T) {
	cat, _ := catalogue.Builtin()
	var all []types.SpecReport
	musts := 0
	for _, r := range cat.Requirements {
		all = append(all, spec(types.SpecStatePassed, "", r.ID, r.Level))
		if r.Level == catalogue.Must {
			musts++
		}
	}
	var b bytes.Buffer
	sampleRun(t, all...).WriteBadge(&b)
	if !strings.Contains(b.String(), "#4c1") || !strings.Contains(b.String(), fmt.Sprintf("MUST %d/%d · without auth", musts, musts)) {
		t.Errorf("all passed: %s", b.String())
	}
	b.Reset()
	all[0] = spec(types.SpecStateFailed, "x", all[0].LeafNodeLabels...)
	sampleRun(t, all...).WriteBadge(&b)
	if !strings.Contains(b.String(), "#e05d44") || !strings.Contains(b.String(), fmt.Sprintf("MUST %d/%d", musts-1, musts)) {
		t.Errorf("one failed: %s", b.String())
	}
	if err := xml.Unmarshal(b.Bytes(), new(struct{ XMLName xml.Name })); err != nil {
		t.Errorf("badge is not XML: %v", err)
	}
}

// The badge's rule, case by case: green exactly when every MUST the run
// holds the implementation to passed; a SHOULD never changes it; a MUST
// skipped or not run is not a pass; a capability declared absent takes
// its MUSTs out of the count.
func TestBadgeColourRule(t *testing.T) {
	cat, _ := catalogue.Builtin()
	var firstMust, firstShould = -1, -1
	var base []types.SpecReport
	musts := 0
	for i, r := range cat.Requirements {
		base = append(base, spec(types.SpecStatePassed, "", r.ID, r.Level))
		switch {
		case r.Level == catalogue.Must:
			musts++
			if firstMust < 0 {
				firstMust = i
			}
		case firstShould < 0:
			firstShould = i
		}
	}
	disabled := spec(types.SpecStateSkipped, "disabled by configuration: capability list is off", base[firstMust].LeafNodeLabels...)
	disabled.ReportEntries = types.ReportEntries{{Name: EntryDisabled}}
	for _, tt := range []struct {
		name   string
		change func(all []types.SpecReport)
		colour string
		count  string
	}{
		{"every MUST passed", func([]types.SpecReport) {}, badgeGreen, fmt.Sprintf("MUST %d/%d", musts, musts)},
		{"a SHOULD failed", func(all []types.SpecReport) {
			all[firstShould] = spec(types.SpecStateFailed, "x", all[firstShould].LeafNodeLabels...)
		}, badgeGreen, fmt.Sprintf("MUST %d/%d", musts, musts)},
		{"a MUST failed", func(all []types.SpecReport) {
			all[firstMust] = spec(types.SpecStateFailed, "x", all[firstMust].LeafNodeLabels...)
		}, badgeRed, fmt.Sprintf("MUST %d/%d", musts-1, musts)},
		{"a MUST skipped: the world lacks a case", func(all []types.SpecReport) {
			all[firstMust] = spec(types.SpecStateSkipped, "the world lacks it", all[firstMust].LeafNodeLabels...)
		}, badgeRed, fmt.Sprintf("MUST %d/%d", musts-1, musts)},
		{"a MUST disabled: its capability declared absent", func(all []types.SpecReport) {
			all[firstMust] = disabled
		}, badgeGreen, fmt.Sprintf("MUST %d/%d", musts-1, musts-1)},
	} {
		all := slices.Clone(base)
		tt.change(all)
		var b bytes.Buffer
		if err := sampleRun(t, all...).WriteBadge(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), `fill="`+tt.colour+`"`) || !strings.Contains(b.String(), tt.count) {
			t.Errorf("%s: want %s and %q, got\n%s", tt.name, tt.colour, tt.count, b.String())
		}
	}
}

func TestRunLengthEncoding(t *testing.T) {
	if got := runLength([]byte("cccHHw")); got != "c3H2w1" {
		t.Errorf("got %s", got)
	}
}

func TestOutcomeSaysWhatWasProven(t *testing.T) {
	all := func(t *testing.T, filter string, except map[string]types.SpecReport) *Run {
		cat, _ := catalogue.Builtin()
		var specs []types.SpecReport
		for _, r := range cat.Requirements {
			if s, ok := except[r.ID]; ok {
				specs = append(specs, s)
				continue
			}
			specs = append(specs, spec(types.SpecStatePassed, "", r.ID, r.Level))
		}
		return filteredRun(t, filter, specs...)
	}
	tests := []struct {
		name       string
		filter     string
		except     map[string]types.SpecReport
		want       Outcome
		incomplete string
	}{
		{"everything passed", "", nil, Complete, ""},
		{"a MUST the world cannot exercise is incomplete", "", map[string]types.SpecReport{
			"RULE-KERNEL-6.7": marked(EntryUnexercised, "the world cannot exercise this: add 6.7.0", "RULE-KERNEL-6.7", "MUST")}, Incomplete, "RULE-KERNEL-6.7"},
		{"a skipped SHOULD is not incomplete", "", map[string]types.SpecReport{
			"OK-REPEAT": marked(EntryUnexercised, "the world cannot exercise this", "OK-REPEAT", "SHOULD")}, Complete, ""},
		{"a MUST disabled by a capability is not incomplete", "", map[string]types.SpecReport{
			"AUTH-REQUIRED": marked(EntryDisabled, "disabled by configuration: capability auth is off", "AUTH-REQUIRED", "MUST")}, Complete, ""},
		{"a selected MUST Ginkgo never ran is incomplete", "", map[string]types.SpecReport{
			"OK-CREATED": spec(types.SpecStateSkipped, "", "OK-CREATED", "MUST")}, Incomplete, "OK-CREATED"},
		{"a MUST the filter left out is not incomplete", "!OK-CREATED", map[string]types.SpecReport{
			"OK-CREATED": spec(types.SpecStateSkipped, "", "OK-CREATED", "MUST")}, Complete, ""},
		{"a failure outweighs incompleteness", "", map[string]types.SpecReport{
			"OK-CREATED":      spec(types.SpecStateFailed, "boom", "OK-CREATED", "MUST"),
			"RULE-KERNEL-6.7": marked(EntryUnexercised, "the world cannot exercise this", "RULE-KERNEL-6.7", "MUST")}, FailedRun, "RULE-KERNEL-6.7"},
		{"a MUST exercised only in part is incomplete", "", map[string]types.SpecReport{
			"RULE-VERSION": marked(EntryUnexercised, "the world cannot exercise this: add a patch", "RULE-VERSION", "MUST")}, Incomplete, "RULE-VERSION"},
		{"a dry run that plans every MUST is complete", "", map[string]types.SpecReport{
			"OK-CREATED": marked(EntryPlanned, "dry run", "OK-CREATED", "MUST")}, Complete, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := all(t, tt.filter, tt.except)
			if got := run.Outcome(); got != tt.want {
				t.Errorf("outcome %s, want %s", got, tt.want)
			}
			if got := strings.Join(run.IncompleteIDs(), ","); got != tt.incomplete {
				t.Errorf("incomplete %q, want %q", got, tt.incomplete)
			}
		})
	}
}

func TestAMustPassedOnlyWhereExercisedIsIncomplete(t *testing.T) {
	run := sampleRun(t,
		spec(types.SpecStatePassed, "", "RULE-VERSION", "MUST"),
		marked(EntryUnexercised, "the world cannot exercise this: add a patch", "RULE-VERSION", "MUST"),
		spec(types.SpecStatePassed, "", "OK-CREATED", "MUST"),
		spec(types.SpecStateSkipped, "the world's repos already hold this pair", "OK-CREATED", "MUST"))
	if state, _ := stateOf(run, "RULE-VERSION"); state != Passed {
		t.Errorf("RULE-VERSION is %s, want passed (where exercised)", state)
	}
	got := strings.Join(run.IncompleteIDs(), ",")
	if !strings.Contains(got, "RULE-VERSION") || strings.Contains(got, "OK-CREATED") {
		t.Errorf("incomplete %q: want RULE-VERSION (a case missing from the world), not OK-CREATED (a spec skipped for another reason)", got)
	}
}

// An exhaustive run's tally is in every report, and only in an exhaustive
// run's.
func TestEveryWriterCarriesTheExhaustiveTally(t *testing.T) {
	run := sampleRun(t, spec(types.SpecStatePassed, "", "OK-CREATED", "MUST"))
	write := func(run *Run) map[string]string {
		out := map[string]string{}
		for name, w := range map[string]func(io.Writer) error{"console": run.WriteConsole, "summary": run.WriteSummary, "html": run.WriteHTML, "json": run.WriteJSON, "junit": run.WriteJUnit} {
			var b bytes.Buffer
			if err := w(&b); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[name] = b.String()
		}
		return out
	}
	for name, text := range write(run) {
		if strings.Contains(text, "xhaustive") {
			t.Errorf("%s of a run that was not exhaustive mentions it:\n%s", name, text)
		}
	}
	run.Exhaustive = &Exhaustive{Pairs: 100, Compared: 90, Disagreeing: 3, Existing: 2, Undecided: 1, NotCompared: 7}
	line := "exhaustive: 90 of 100 pairs compared, 3 disagree; left out: 2 repositories of the world, 1 the rules cannot decide; 7 not compared (their specs did not run)"
	if got := run.Exhaustive.Line(); got != line {
		t.Errorf("line %q, want %q", got, line)
	}
	out := write(run)
	for _, name := range []string{"console", "summary", "html"} {
		if !strings.Contains(out[name], line) {
			t.Errorf("%s lacks %q:\n%s", name, line, out[name])
		}
	}
	var parsed struct {
		Exhaustive map[string]int `json:"exhaustive"`
	}
	if err := json.Unmarshal([]byte(out["json"]), &parsed); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"pairs": 100, "compared": 90, "disagreeing": 3, "existing": 2, "undecided": 1, "notCompared": 7}
	if !maps.Equal(parsed.Exhaustive, want) {
		t.Errorf("JSON exhaustive %v, want %v", parsed.Exhaustive, want)
	}
	for _, p := range []string{`name="exhaustivePairs" value="100"`, `name="exhaustiveCompared" value="90"`, `name="exhaustiveDisagreeing" value="3"`} {
		if !strings.Contains(out["junit"], p) {
			t.Errorf("JUnit lacks %s", p)
		}
	}
	run.Exhaustive.NotCompared = 0
	if got := run.Exhaustive.Line(); strings.Contains(got, "not compared") {
		t.Errorf("line %q speaks of pairs not compared when there are none", got)
	}
	run.Exhaustive.Existing = 1
	if got := run.Exhaustive.Line(); !strings.Contains(got, "left out: 1 repository of the world,") {
		t.Errorf("line %q: one repository is a repository", got)
	}
}

// Outside text in the Markdown summary is inert: no tag, link, image or
// code span survives as markup, and no cell is ended early.
func TestSummaryMakesOutsideTextInert(t *testing.T) {
	hostile := "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) ![i](http://x/i.png) `code` a|b"
	run := &Run{Endpoint: "http://e", World: "w[1](javascript:x)", Requirements: []Requirement{{Requirement: catalogue.Requirement{ID: "OK-CREATED", Level: catalogue.Must}, State: Failed, Reason: hostile}}}
	var md strings.Builder
	if err := run.WriteSummary(&md); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	for _, raw := range []string{"<script", "<img", "](javascript:", "![i](", "`code`", "a|b"} {
		if strings.Contains(out, raw) {
			t.Errorf("the summary carries %q raw:\n%s", raw, out)
		}
	}
	if !strings.Contains(out, `&lt;script&gt;alert\(1\)&lt;/script&gt;`) || !strings.Contains(out, `a\|b`) {
		t.Errorf("the hostile text is not shown escaped:\n%s", out)
	}
}

// The JSON report is JSON whatever an implementation's answers put in a
// failure: control bytes, quotes, markup and invalid UTF-8; it carries each
// spec's location and level, and the XML reports stay XML.
func TestReportsStayTheirFormatWhateverAnswersHold(t *testing.T) {
	for _, s := range []string{"\x1b[2J", "a\"b\\c", "<script>&</script>", "\x00\a\r\n", "\u009b", "\xff\xfe", "\u2028", "]]>"} {
		sp := spec(types.SpecStateFailed, "answer: "+s, "OK-CREATED", catalogue.Must)
		sp.LeafNodeLocation = types.CodeLocation{FileName: "/somewhere/conform/suite/success_specs.go", LineNumber: 42}
		run := sampleRun(t, sp)
		var b bytes.Buffer
		if err := run.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b.Bytes()) {
			t.Errorf("%q: the JSON report is not JSON", s)
		}
		var got struct {
			Specs []struct{ Location, Level string }
		}
		json.Unmarshal(b.Bytes(), &got)
		if len(got.Specs) != 1 || got.Specs[0].Location != "suite/success_specs.go:42" || got.Specs[0].Level != catalogue.Must {
			t.Errorf("%q: specs %+v, want location suite/success_specs.go:42 and level MUST", s, got.Specs)
		}
		b.Reset()
		if err := run.WriteJUnit(&b); err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(b.Bytes(), new(struct{ XMLName xml.Name })); err != nil {
			t.Errorf("%q: the JUnit report is not XML: %v", s, err)
		}
	}
}
