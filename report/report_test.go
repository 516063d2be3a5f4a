package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
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

func sampleRun(t *testing.T, specs ...types.SpecReport) *Run {
	t.Helper()
	cat, err := catalogue.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return FromGinkgo(types.Report{SpecReports: specs, StartTime: time.Unix(0, 0), RunTime: time.Second}, cat,
		Meta{Endpoint: "http://127.0.0.1:1", World: "w", WorldDigest: "sha256:x", ToolVersion: "9.9.9", Capabilities: []string{"list"}})
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
	run := sampleRun(t,
		spec(types.SpecStatePassed, "", "OK-CREATED", "MUST"),
		spec(types.SpecStateFailed, "[OK-CREATED] expected success", "OK-CREATED", "MUST"),
		spec(types.SpecStateSkipped, DisabledPrefix+"capability list is off", "OK-LISTED", "SHOULD"),
		spec(types.SpecStateSkipped, "the world cannot exercise this: add two instances", "OK-REPEAT", "SHOULD"),
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
		spec(types.SpecStateSkipped, DisabledPrefix+"capability list is off", "OK-LISTED", "SHOULD"))

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
	if !strings.Contains(md.String(), "| OK-CREATED | MUST | failed | [OK-CREATED] expected success |") || !strings.Contains(md.String(), "conform 9.9.9, requirement catalogue") {
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
	for _, want := range []string{`id="req-OK-CREATED" data-state="failed"`, "request: POST /x", `id="only-failures"`, "capability list is off"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestBadgeIsGreenOnlyWhenEveryMustPassed(t *testing.T) {
	cat, _ := catalogue.Builtin()
	var all []types.SpecReport
	for _, r := range cat.Requirements {
		all = append(all, spec(types.SpecStatePassed, "", r.ID, r.Level))
	}
	var b bytes.Buffer
	sampleRun(t, all...).WriteBadge(&b)
	if !strings.Contains(b.String(), "#4c1") || !strings.Contains(b.String(), "MUST 16/16") {
		t.Errorf("all passed: %s", b.String())
	}
	b.Reset()
	all[0] = spec(types.SpecStateFailed, "x", all[0].LeafNodeLabels...)
	sampleRun(t, all...).WriteBadge(&b)
	if !strings.Contains(b.String(), "#e05d44") || !strings.Contains(b.String(), "MUST 15/16") {
		t.Errorf("one failed: %s", b.String())
	}
	if err := xml.Unmarshal(b.Bytes(), new(struct{ XMLName xml.Name })); err != nil {
		t.Errorf("badge is not XML: %v", err)
	}
}

func TestRunLengthEncoding(t *testing.T) {
	if got := runLength([]byte("cccHHw")); got != "c3H2w1" {
		t.Errorf("got %s", got)
	}
}
