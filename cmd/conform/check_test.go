package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/checks"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/snaprepo/conform/world"
)

func conform(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCheckExitCodesOnTheBuiltinWorld(t *testing.T) {
	tests := []struct {
		name, dest, src string
		exit            int
		says            string
	}{
		{"compatible pair exits 0", "es-cn-cf710dest0000001", "es-cn-cf74src00000001", 0, "compatible"},
		{"7.10 source refused by 7.9 destination exits 1", "es-cn-cf79src00000001", "es-cn-cf710dest0000001", 1, "✗ RULE-VERSION"},
		{"a destination not in the world exits 2 with the closest ID", "es-cn-cf710dest0000002", "es-cn-cf74src00000001", 2,
			"destination es-cn-cf710dest0000002 is not in built-in world (fixtures/world.yaml) (did you mean es-cn-cf710dest0000001?)"},
		{"a source not in the world exits 2 with the closest ID", "es-cn-cf710dest0000001", "es-cn-cf74src0000001", 2,
			"source es-cn-cf74src0000001 is not in built-in world (fixtures/world.yaml) (did you mean es-cn-cf74src00000001?)"},
		{"an ID far from every other exits 2 without a guess", "es-cn-nosuch", "es-cn-cf74src00000001", 2, "es-cn-nosuch is not in built-in world (fixtures/world.yaml)\n"},
		{"activating destination exits 1 with InstanceActivating", "es-cn-cfactivating00001", "es-cn-cf74src00000001", 1, "InstanceActivating"},
		{"unknown 6.7.0 kernel exits 3", "es-cn-cf67k130a0000001", "es-cn-cf67nokernel00001", 3, "? RULE-KERNEL-6.7"},
		{"major gap warns and exits 0", "es-cn-cf710dest0000001", "es-cn-cf553src00000001", 0, "! RESTORE-COMPAT"},
	}
	t.Setenv("NO_COLOR", "1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := conform(t, "check", "--dest", tt.dest, "--source", tt.src)
			if code != tt.exit {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.exit, out, errOut)
			}
			if !strings.Contains(out+errOut, tt.says) {
				t.Errorf("output lacks %q:\n%s%s", tt.says, out, errOut)
			}
			if tt.exit == 2 && out != "" {
				t.Errorf("a usage error printed a verdict:\n%s", out)
			}
			if strings.Contains(out, "\x1b[") {
				t.Errorf("colour in output that is not a terminal")
			}
		})
	}
}

func TestCheckJSONKeepsItsFieldNames(t *testing.T) {
	code, out, _ := conform(t, "check", "--dest", "es-cn-cfactivating00001", "--source", "es-cn-cf74src00000001", "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"compatible", "apiError", "rules", "warnings"} {
		if _, ok := got[k]; !ok {
			t.Errorf("field %q missing: %s", k, out)
		}
	}
	apiErr := got["apiError"].(map[string]any)
	if apiErr["code"] != "InstanceActivating" || apiErr["message"] != "Instance is activating." {
		t.Errorf("apiError = %v", apiErr)
	}
	rule := got["rules"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "verdict", "message"} {
		if _, ok := rule[k]; !ok {
			t.Errorf("rule field %q missing: %v", k, rule)
		}
	}
	_, out, _ = conform(t, "check", "--dest", "es-cn-cf710dest0000001", "--source", "es-cn-cf74src00000001", "-o", "json")
	if !strings.Contains(out, `"apiError":null`) || !strings.Contains(out, `"compatible":true`) || !strings.Contains(out, `"warnings":[]`) {
		t.Errorf("compatible JSON: %s", out)
	}
}

func TestCheckBadInputExits2WithAClearMessage(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "world.yaml")
	os.WriteFile(broken, []byte("region: r\naccounts: [{id: \"1\"}]\ninstances:\n  - {id: es-cn-x, account: \"1\", region: r, version: 7.1O}\n"), 0o644)
	tests := []struct {
		name string
		args []string
		says string
	}{
		{"broken world names file, instance, field and example", []string{"check", "--world", broken, "--dest", "a", "--source", "b"},
			broken + `: instance es-cn-x: version: version "7.1O" is not a version (want e.g. 7.10.0_with_X-Pack)`},
		{"missing world file", []string{"check", "--world", filepath.Join(dir, "nope.yaml"), "--dest", "a", "--source", "b"}, "nope.yaml"},
		{"no source", []string{"check", "--dest", "a"}, "--source"},
		{"bad output", []string{"check", "--dest", "a", "--source", "b", "-o", "xml"}, `invalid value "xml" for flag -o: not an output (want text or json)`},
		{"bad long output", []string{"check", "--dest", "a", "--source", "b", "--output", "xml"}, `invalid value "xml" for flag --output: not an output`},
		{"unknown flag", []string{"check", "--nope"}, "nope"},
		{"unknown command", []string{"chek"}, `unknown command "chek"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := conform(t, tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(errOut, tt.says) {
				t.Errorf("stderr lacks %q:\n%s", tt.says, errOut)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.HasSuffix(errOut, "\n") {
				t.Errorf("bad input gets one line:\n%s", errOut)
			}
		})
	}
}

// Every command's --help goes to stdout, exits 0, shows examples or usage,
// exit codes, and flags as --name.
func TestEveryHelpShowsExitCodesAndDoubleDashFlags(t *testing.T) {
	for _, args := range [][]string{{"check", "--help"}, {"run", "--help"}, {"serve", "--help"}, {"world", "--help"}, {"version", "--help"}, {"requirements", "--help"}, {"--help"}} {
		code, out, errOut := conform(t, args...)
		if code != 0 || errOut != "" || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d, stdout:\n%s\nstderr:\n%s", args, code, out, errOut)
		}
		if args[0] != "--help" && args[0] != "version" && args[0] != "requirements" && !strings.Contains(out, "Exit codes:") {
			t.Errorf("%v lacks exit codes:\n%s", args, out)
		}
		if strings.Contains(out, "\n  -") && !strings.Contains(out, "\n  --") {
			t.Errorf("%v shows flags with one dash:\n%s", args, out)
		}
	}
	_, out, _ := conform(t, "check", "--help")
	if !strings.Contains(out, "  --dest string") || !strings.Contains(out, "3  undecided") {
		t.Errorf("check --help:\n%s", out)
	}
}

// A flag's placeholder says what to type: never the flag package's
// "value" for a flag whose usage names none.
func TestNoHelpShowsAPlaceholderOfGoSyntax(t *testing.T) {
	placeholder := regexp.MustCompile(`(?m)^  -{1,2}\S+ value$`)
	for _, c := range commandTable() {
		code, out, _ := conform(t, c.name, "--help")
		if code != 0 {
			t.Errorf("%s --help: exit %d", c.name, code)
		}
		if m := placeholder.FindString(out); m != "" {
			t.Errorf("%s --help shows %q: name the value in its usage, between backquotes", c.name, m)
		}
	}
}

func TestAMistypedFlagGetsTheFlagItWasMeantToBe(t *testing.T) {
	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"check", "--dset", "x"}, "conform check: unknown flag --dset (did you mean --dest?) (see conform check --help)"},
		{[]string{"run", "--exhaustiv"}, "unknown flag --exhaustiv (did you mean --exhaustive?)"},
		{[]string{"serve", "--nonce-capacty", "3"}, "did you mean --nonce-capacity?"},
		{[]string{"run", "--timeout", "soon"}, `invalid value "soon" for flag --timeout`},
		{[]string{"check", "--world"}, "flag --world needs a value"},
		{[]string{"check", "--zzzzzzzz"}, "unknown flag --zzzzzzzz (see conform check --help)"},
	} {
		code, out, errOut := conform(t, tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.says) || out != "" || strings.Count(errOut, "\n") > 1 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", tt.args, code, errOut, tt.says)
		}
	}
}

func TestCheckMatrixJSONLines(t *testing.T) {
	code, out, errOut := conform(t, "check", "--matrix", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	w, _ := world.Builtin()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(w.Instances) {
		t.Fatalf("%d lines for %d instances", len(lines), len(w.Instances))
	}
	for _, l := range lines {
		var row struct {
			Destination string   `json:"destination"`
			Count       int      `json:"count"`
			Compatible  []string `json:"compatible"`
			Warned      []string `json:"warned"`
		}
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if row.Count != len(row.Compatible) {
			t.Errorf("%s: count %d, %d listed", row.Destination, row.Count, len(row.Compatible))
		}
		if row.Destination == "es-cn-cfactivating00001" && row.Count != 0 {
			t.Errorf("an activating destination takes no source: %s", l)
		}
		if row.Destination == "es-cn-cf710dest0000001" && (len(row.Warned) != 1 || row.Warned[0] != "es-cn-cf553src00000001") {
			t.Errorf("7.10 destination: warned %v", row.Warned)
		}
	}
	code, out, _ = conform(t, "check", "--matrix")
	if code != 0 || !strings.Contains(out, "es-cn-cf710dest0000001 (7.10.0_with_X-Pack, cn-hangzhou, 1638000000000001):") {
		t.Errorf("text matrix: %s", out)
	}
}

// BenchmarkCheckMatrixCommand100k runs the whole `conform check --matrix -o
// json` on a 100,000-instance JSON inventory: read, validate, compute, write.
// Goal: under 5 s an operation.
func BenchmarkCheckMatrixCommand100k(b *testing.B) {
	data, err := json.Marshal(world.Synthetic(20, 50, 100, 1))
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "fleet.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	b.ResetTimer()
	for b.Loop() {
		if code := run([]string{"check", "--world", path, "--matrix", "-o", "json"}, devnull, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

func TestVersionPrintsToolAndCatalogueVersions(t *testing.T) {
	code, out, _ := conform(t, "version")
	if code != 0 || !strings.Contains(out, "conform 0.1.0-dev\n") || !strings.Contains(out, "requirement catalogue "+builtinCatalogueVersion(t)+"\n") {
		t.Errorf("exit %d: %q", code, out)
	}
	if code, _, _ := conform(t, "version", "extra"); code != 2 {
		t.Errorf("extra argument: exit %d", code)
	}
}

// builtinCatalogueVersion is the embedded catalogue's version, read as the
// binary reads it.
func builtinCatalogueVersion(t testing.TB) string {
	t.Helper()
	cat, err := catalogue.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return cat.Version
}

// The text matrix lists at most a screenful of sources per destination and
// says how many more; -o json keeps every one.
func TestTheTextMatrixIsBoundedPerDestination(t *testing.T) {
	var w strings.Builder
	w.WriteString("region: cn-hangzhou\naccounts: [{id: \"1\"}]\ninstances:\n  - {id: es-dest, account: \"1\", region: cn-hangzhou, version: \"8.5\"}\n")
	for i := range 80 {
		fmt.Fprintf(&w, "  - {id: es-src-%03d, account: \"1\", region: cn-hangzhou, version: \"7.10\"}\n", i)
	}
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(w.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := conform(t, "check", "--world", path, "--matrix")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	line, _, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(line, "es-dest (8.5, cn-hangzhou, 1): 80 source(s): es-src-000, ") || strings.Count(line, "es-src-") != matrixTextLimit ||
		!strings.HasSuffix(line, " … and 30 more (-o json lists every one)") {
		t.Errorf("the destination's line: %s", line)
	}
	_, out, _ = conform(t, "check", "--world", path, "--matrix", "-o", "json")
	first, _, _ := strings.Cut(out, "\n")
	if strings.Count(first, "es-src-") != 80 {
		t.Errorf("-o json lists %d sources of 80", strings.Count(first, "es-src-"))
	}
}

// A matrix line is JSON whatever its strings hold: control bytes, quotes,
// markup and invalid UTF-8 included.
func TestMatrixLinesAreJSONWhateverTheyHold(t *testing.T) {
	for _, s := range []string{"es-cn-plain", "\x1b[2J", "a\"b\\c", "<script>&", "\x00\a\r\n", "\u009b", "\xff\xfe", "实例", "\u2028"} {
		in := &checks.Instance{ID: s, Region: s, Account: s}
		line := appendMatrixJSON(nil, checks.MatrixRow{Dest: in, Compatible: []*checks.Instance{in}})
		if !json.Valid(line) {
			t.Errorf("%q: not JSON: %s", s, line)
			continue
		}
		var got struct{ Destination, Region, Account string }
		json.Unmarshal(line, &got)
		if utf8.ValidString(s) && (got.Destination != s || got.Region != s || got.Account != s) {
			t.Errorf("%q read back as %q", s, got.Destination)
		}
	}
}
