package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func changes(ms []mutant) []string {
	var out []string
	for _, m := range ms {
		out = append(out, filepath.Base(m.file)+" "+show(m.old)+"→"+show(m.new))
	}
	return out
}

// find tries every operator it knows, and leaves alone what exists to be
// wrong (faults.go, lines that read a Faults switch), string joins and tests.
func TestFindMutatesOperatorsButNotPlantedFaults(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.go":       "package a\n\nfunc Pos(x, y int) bool { return x > 0 && !false || x == y-1 }\n\nfunc Join(s string) string { return s + \"!\" }\n",
		"b.go":       "package a\n\ntype cfg struct{ Faults struct{ On bool } }\n\nfunc On(c cfg, x int) bool { return c.Faults.On && x < 2 }\n",
		"faults.go":  "package a\n\nfunc F(x int) bool { return x != 1 }\n",
		"planted.go": "package a\n\nfunc P(x int) bool { return x == 2 }\n",
		"a_test.go":  "package a\n\nfunc helper(x int) bool { return x >= 1 }\n",
	})
	ms, err := find(dir, "a")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(changes(ms), ", ")
	for _, want := range []string{"a.go >→<=", "a.go &&→||", "a.go !→∅", "a.go false→true", "a.go ||→&&", "a.go ==→!=", "a.go -→+"} {
		if !strings.Contains(got, want) {
			t.Errorf("find: %s, want among them %s", got, want)
		}
	}
	for _, never := range []string{"b.go", "faults.go", "planted.go", "a_test.go", "+→-"} {
		if strings.Contains(got, never) {
			t.Errorf("find: %s, want nothing of %s", got, never)
		}
	}
	if len(ms) != 7 {
		t.Errorf("find: %d mutants (%s), want 7", len(ms), got)
	}
	for _, m := range ms {
		src, _ := os.ReadFile(m.file)
		if string(src[m.off:m.off+len(m.old)]) != m.old {
			t.Errorf("mutant %s: the bytes at its offset are %q", m.id(), src[m.off:m.off+len(m.old)])
		}
	}
}

// An entry of mutation-equivalent.txt matches its mutant exactly, or after
// the line moved by up to ten; never another file, column or change.
func TestListedFindsMovedEntriesNearby(t *testing.T) {
	m := mutant{file: "/x/a.go", line: 40, col: 7, old: "<", new: ">="}
	eq := map[string]string{"a.go:40:7 <→>=": "exact"}
	if id, reason, ok := listed(eq, m); !ok || id != "a.go:40:7 <→>=" || reason != "exact" {
		t.Errorf("exact: %q %q %v", id, reason, ok)
	}
	for _, tt := range []struct {
		entry string
		ok    bool
	}{
		{"a.go:50:7 <→>=", true},
		{"a.go:30:7 <→>=", true},
		{"a.go:51:7 <→>=", false},
		{"a.go:40:8 <→>=", false},
		{"b.go:40:7 <→>=", false},
		{"a.go:40:7 >→<=", false},
	} {
		if _, _, ok := listed(map[string]string{tt.entry: "r"}, m); ok != tt.ok {
			t.Errorf("%s for %s: listed %v, want %v", tt.entry, m.id(), ok, tt.ok)
		}
	}
	// Of two entries, the nearer wins.
	if id, _, _ := listed(map[string]string{"a.go:45:7 <→>=": "far", "a.go:41:7 <→>=": "near"}, m); id != "a.go:41:7 <→>=" {
		t.Errorf("nearest: %s", id)
	}
}

func TestReadEquivalent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mutation-equivalent.txt")
	if got, err := readEquivalent(path); err != nil || len(got) != 0 {
		t.Errorf("no file: %v %v, want none and no error", got, err)
	}
	writeFiles(t, dir, map[string]string{"mutation-equivalent.txt": "# why\n\na.go:3:9 ==→!=: both branches return the same\n"})
	got, err := readEquivalent(path)
	if err != nil || got["a.go:3:9 ==→!="] != "both branches return the same" || len(got) != 1 {
		t.Errorf("read: %v %v", got, err)
	}
	writeFiles(t, dir, map[string]string{"mutation-equivalent.txt": "a.go:3:9 ==→!= no reason\n"})
	if _, err := readEquivalent(path); err == nil || !strings.Contains(err.Error(), "is not") {
		t.Errorf("a line without a reason: %v", err)
	}
}

// The whole tool on a module of its own: the mutant a test holds is
// killed, the one no test reads survives and is named; listed, it counts as
// equivalent; a listed entry with no survivor is stale.
func TestMutatePackageKillsWhatTestsHoldAndNamesSurvivors(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on each mutant")
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":    "module example.com/m\n\ngo 1.21\n",
		"m.go":      "package m\n\nfunc Pos(x int) bool { return x > 0 }\n\nfunc Neg(x int) bool { return x < 0 }\n",
		"m_test.go": "package m\n\nimport \"testing\"\n\nfunc TestPos(t *testing.T) {\n\tif !Pos(1) || Pos(0) {\n\t\tt.Fatal(\"Pos\")\n\t}\n}\n",
	})
	var out bytes.Buffer
	if err := mutatePackage(dir, []string{"."}, 2, time.Minute, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "2 mutants, 1 killed, 1 survived, 0 equivalent") || !strings.Contains(out.String(), "SURVIVED    m.go:5:33 <→>=") {
		t.Errorf("mutate:\n%s", out.String())
	}
	writeFiles(t, dir, map[string]string{"mutation-equivalent.txt": "m.go:5:33 <→>=: no test reads Neg\nm.go:9:1 ==→!=: gone\n"})
	out.Reset()
	if err := mutatePackage(dir, []string{"."}, 2, time.Minute, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 killed, 0 survived, 1 equivalent") || !strings.Contains(out.String(), "STALE       m.go:9:1 ==→!=") {
		t.Errorf("mutate with an equivalent list:\n%s", out.String())
	}
}
