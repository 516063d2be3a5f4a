package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"testing"

	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/world"
)

// The summary of a large group counts what evaluating every pair counts.
func TestFleetSummaryCountsEveryCompatiblePair(t *testing.T) {
	w, err := world.FromFile("synthetic", world.Synthetic(1, 1, MaxCellGroup+50, 3))
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := WriteFleetHTML(&page, "t", w.Instances, &w.Policy, nil, nil); err != nil {
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
		if err := WriteFleetHTML(io.Discard, "bench", w.Instances, &w.Policy, nil, nil); err != nil {
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
	if err := WriteFleetHTML(&page, "t", w.Instances, &w.Policy, nil, nil); err != nil {
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

// Existing references are marked on their cells, those the rules refuse
// apart, and counted per group and in all, those across groups too.
func TestTheFleetMarksExistingReferences(t *testing.T) {
	f := world.Synthetic(2, 1, 30, 9)
	w, err := world.FromFile("synthetic", f)
	if err != nil {
		t.Fatal(err)
	}
	var repos []world.Repo
	wantBroken := 0
	for i := 0; i < 30 && len(repos) < 6; i++ {
		d, s := &w.Instances[i], &w.Instances[(i+7)%30]
		v := w.Policy.Evaluate(d.ID, d, s.ID, s)
		if v.Compatible() {
			repos = append(repos, world.Repo{Instance: d.ID, RepoPath: s.ID})
		} else if v.Decision() == checks.Refused && wantBroken < 3 {
			repos = append(repos, world.Repo{Instance: d.ID, RepoPath: s.ID})
			wantBroken++
		}
	}
	// One across regions: refused, counted, no cell.
	repos = append(repos, world.Repo{Instance: w.Instances[0].ID, RepoPath: w.Instances[40].ID})
	wantBroken++
	var page bytes.Buffer
	if err := WriteFleetHTML(&page, "t", w.Instances, &w.Policy, repos, nil); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="fleet-data">(.*?)</script>`).FindSubmatch(page.Bytes())
	var data struct {
		Groups []fleetGroup `json:"groups"`
	}
	if err := json.Unmarshal(m[1], &data); err != nil {
		t.Fatal(err)
	}
	g := data.Groups[0]
	if g.Refs != len(repos) || g.Broken != wantBroken || len(g.Existing) != len(repos)-1 {
		t.Fatalf("group: %d references (%d refused), %d cells marked; want %d (%d), %d", g.Refs, g.Broken, len(g.Existing), len(repos), wantBroken, len(repos)-1)
	}
	ids := func(e [3]int) (string, string) {
		return g.Instances[e[0]].([]any)[0].(string), g.Instances[e[1]].([]any)[0].(string)
	}
	for _, e := range g.Existing {
		d, s := ids(e)
		v := w.Policy.Evaluate(d, w.Instance(d), s, w.Instance(s))
		if (e[2] == 1) != (v.Decision() == checks.Refused) {
			t.Errorf("%s ← %s marked broken=%d; the rules say %s", d, s, e[2], v.Decision())
		}
	}
	if want := fmt.Sprintf(`<span id="n-existing">%d</span> existing references, <span id="n-broken">%d</span>`, len(repos), wantBroken); wantBroken < 2 || !bytes.Contains(page.Bytes(), []byte(want)) {
		t.Errorf("the page's counts do not say %s", want)
	}
}
