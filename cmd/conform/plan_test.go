package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's plan examples are what conform plan prints, word for word.
func TestTheReadmesPlansAreTheCommandsOutput(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(b), "## Plan upgrades\n")
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := regexp.MustCompile("(?s)```\n\\$ go run ./cmd/conform (plan [^\n]*)\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) < 2 {
		t.Fatalf("the README's plan section shows %d examples; want 2", len(blocks))
	}
	for _, m := range blocks {
		args := strings.Fields(strings.ReplaceAll(m[1], "docs/", "../../docs/"))
		var out, errOut bytes.Buffer
		code := run(args, &out, &errOut)
		got := strings.ReplaceAll(out.String(), "../../docs/", "docs/")
		if got != m[2] {
			t.Errorf("conform %s printed:\n%s\nthe README shows:\n%s", m[1], got, m[2])
		}
		if want := fmt.Sprintf("(exit %d)\n", code); !strings.HasSuffix(got, want) {
			t.Errorf("conform %s exited %d; its last line says otherwise", m[1], code)
		}
	}
}

// A fleet's plan can name a million references: the text lists 50 of each
// kind and says how many more; JSON lists every one.
func TestThePlansTextIsBoundedAndItsJSONWhole(t *testing.T) {
	var w strings.Builder
	w.WriteString("region: cn-hangzhou\naccounts: [{id: \"1\"}]\ninstances:\n  - {id: es-new, account: \"1\", region: cn-hangzhou, version: \"8.5\"}\n")
	for i := range 120 {
		fmt.Fprintf(&w, "  - {id: es-old-%03d, account: \"1\", region: cn-hangzhou, version: \"7.10\"}\n", i)
	}
	w.WriteString("repos:\n")
	for i := range 120 {
		fmt.Fprintf(&w, "  - {instance: es-old-%03d, repoPath: es-new}\n", i)
	}
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(w.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"plan", "--world", path}, &out, &errOut); code != exitFailed {
		t.Fatalf("exit %d; want 1\n%s%s", code, out.String(), errOut.String())
	}
	if n := strings.Count(out.String(), "  ✗ "); n != planTextLimit {
		t.Errorf("the text lists %d breaks; want %d", n, planTextLimit)
	}
	if !strings.Contains(out.String(), "  … and 70 more breaks (-o json lists every one)\n") {
		t.Errorf("the text does not say how many more:\n%s", out.String())
	}
	out.Reset()
	run([]string{"plan", "--world", path, "--output", "json"}, &out, &errOut)
	var p planJSON
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Breaks) != 120 || p.ExitCode != exitFailed || p.Holds || p.References != 120 {
		t.Errorf("JSON: %d breaks, exit %d, holds %v, %d references; want 120, 1, false, 120", len(p.Breaks), p.ExitCode, p.Holds, p.References)
	}
}
