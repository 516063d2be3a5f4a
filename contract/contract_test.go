package contract

import (
	"strings"
	"testing"

	"github.com/snaprepo/conform/fixtures"
)

func TestTheBuiltinLedgerParses(t *testing.T) {
	l, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"AddSnapshotRepo", "DeleteSnapshotRepo", "ListSnapshotReposByInstanceId", "ListAlternativeSnapshotRepos", "DescribeInstance", "ListInstance", "DescribeRegions"} {
		if l.Operation(name) == nil {
			t.Errorf("no operation %s", name)
		}
	}
	if p := l.Operation("ListAlternativeSnapshotRepos").Param("alreadySetItems"); p == nil || p.Default != "true" || l.Source(p.Source).Kind != KindModel {
		t.Errorf("alreadySetItems: %+v (the SDK models give it the default true)", p)
	}
	for _, op := range []string{"AddSnapshotRepo", "DeleteSnapshotRepo"} {
		for _, code := range []string{"InstanceActivating", "InstanceNotFound"} {
			if !l.Operation(op).Documented(code) {
				t.Errorf("%s does not document %s", op, code)
			}
		}
	}
	if got := l.DocumentedBy("RegionMismatch"); len(got) != 0 {
		t.Errorf("RegionMismatch documented by %v: no public source has it", got)
	}
	if l.Operation("AddSnapshotRepo").PathFor("es-cn-x") != "/openapi/instances/es-cn-x/snapshot-repos" {
		t.Error(l.Operation("AddSnapshotRepo").PathFor("es-cn-x"))
	}
}

// A ledger that cites a source it does not define, names an answer twice,
// or documents an answer it lacks is refused with the place named.
func TestABrokenLedgerIsRefused(t *testing.T) {
	base := string(fixtures.Contract)
	for _, tt := range []struct {
		name, from, to, says string
	}{
		{"unknown source", "source: ref-add\n    parameters:", "source: nowhere\n    parameters:", `operation AddSnapshotRepo: source "nowhere"`},
		{"answer twice", "  - {name: InstanceActivating,", "  - {name: InstanceNotFound,", `name "InstanceNotFound" is empty or given twice`},
		{"documents a missing answer", "documents: [InstanceActivating, InstanceNotFound]\n  - name: DeleteSnapshotRepo", "documents: [InstanceGone]\n  - name: DeleteSnapshotRepo", `documents "InstanceGone"`},
		{"unknown field", "version: 1.1.0", "version: 1.1.0\nextra: 1", "field extra not found"},
		{"bad kind", "kind: gateway", "kind: rumour", `kind "rumour" is none of`},
		{"no version", "version: 1.1.0", "", "version: missing"},
	} {
		broken := strings.Replace(base, tt.from, tt.to, 1)
		if broken == base {
			t.Fatalf("%s: the test's edit does not apply", tt.name)
		}
		if _, err := Parse([]byte(broken)); err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.says)
		}
	}
}

func TestAllowsBoundsLengthAndASCII(t *testing.T) {
	p := Parameter{MaxLength: 4, ASCII: true}
	for v, want := range map[string]bool{"": true, "abcd": true, "abcde": false, "ab\x00": false, "é": false, "a~": true, "a\x7f": false} {
		if p.Allows(v) != want {
			t.Errorf("Allows(%q) = %v", v, !want)
		}
	}
	if !(Parameter{MaxLength: 2}).Allows("é") || (Parameter{MaxLength: 2}).Allows("abc") {
		t.Error("a length limit without ASCII")
	}
}

func TestTheMarkdownNamesEveryFactAndItsSource(t *testing.T) {
	l, _ := Builtin()
	md := l.Markdown()
	for _, want := range []string{"### AddSnapshotRepo", "`POST /openapi/instances/{InstanceId}/snapshot-repos`", "| `alreadySetItems` | query | boolean | no | true |",
		"| RegionMismatch | 400 | `SnapshotRepo.RegionMismatch` |", "**conform**", "Documented errors: 400 `InstanceActivating`, 400 `InstanceNotFound`.",
		"at most 64 ASCII characters", "| `models` | model |"} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q", want)
		}
	}
}
