package report

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"testing"

	"github.com/snaprepo/conform/world"
)

// The summary of a large group counts what evaluating every pair counts.
func TestFleetSummaryCountsEveryCompatiblePair(t *testing.T) {
	w, err := world.FromFile("synthetic", world.Synthetic(1, 1, MaxCellGroup+50, 3))
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := WriteFleetHTML(&page, "t", w.Instances, &w.Policy, nil); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="fleet-data">(.*?)</script>`).FindSubmatch(page.Bytes())
	if m == nil {
		t.Fatalf("no data in the page")
	}
	var data struct {
		Groups []fleetGroup `json:"groups"`
	}
	if err := json.Unmarshal(m[1], &data); err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, row := range data.Groups[0].Summary {
		for _, c := range row {
			got += c.Compatible
		}
	}
	want := 0
	for i := range w.Instances {
		for j := range w.Instances {
			if i != j {
				if v := w.Policy.Evaluate(w.Instances[i].ID, &w.Instances[i], w.Instances[j].ID, &w.Instances[j]); v.Compatible() {
					want++
				}
			}
		}
	}
	if got != want || want == 0 {
		t.Errorf("summary counts %d compatible pairs, pair by pair %d", got, want)
	}
}

// check --matrix --html on one (region, account) group of 100,000.
func BenchmarkFleetHTML100kOneGroup(b *testing.B) {
	w, err := world.FromFile("synthetic", world.Synthetic(1, 1, 100_000, 7))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteFleetHTML(io.Discard, "bench", w.Instances, &w.Policy, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// The fleet page says, for each refusal, whether its code is documented:
// the platform's two documented codes as the API's answer, the others as
// conform's names.
func TestTheFleetPageSaysWhichAnswersAreDocumented(t *testing.T) {
	w, err := world.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := WriteFleetHTML(&page, "t", w.Instances, &w.Policy, nil); err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`<tr><td>([A-Z][A-Z0-9.-]+) [^<]*</td><td>(yes|no)</td><td[^>]*>([^<]*)</td></tr>`).FindAllSubmatch(page.Bytes(), -1)
	if len(rows) < 5 {
		t.Fatalf("%d refusal rows in the page", len(rows))
	}
	seen := 0
	for _, r := range rows {
		rule, documented, answer := string(r[1]), string(r[2]), string(r[3])
		if rule == "ERR-INSTANCE-ACTIVATING" || rule == "RULE-SAME-REGION" {
			seen++
		}
		switch {
		case rule == "ERR-INSTANCE-ACTIVATING" && (documented != "yes" || !bytes.Contains(r[3], []byte("the API answers: 400 InstanceActivating"))):
			t.Errorf("%s: documented %s, %s", rule, documented, answer)
		case rule == "RULE-SAME-REGION" && (documented != "no" || !bytes.Contains(r[3], []byte("not documented"))):
			t.Errorf("%s: documented %s, %s", rule, documented, answer)
		}
	}
	if seen != 2 {
		t.Errorf("the page lacks ERR-INSTANCE-ACTIVATING or RULE-SAME-REGION (%d of 2)", seen)
	}
}
