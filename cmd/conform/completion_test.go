package main

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// The bash script, run by bash: what it offers after each line typed,
// subcommands and their flags included.
func TestBashCompletionOffersWhatTheTableHolds(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on this machine")
	}
	var script bytes.Buffer
	if code := run([]string{"completion", "bash"}, &script, &script); code != exitOK {
		t.Fatalf("completion bash: exit %d: %s", code, script.String())
	}
	for line, want := range map[string]string{
		"conform wor":                 "world",
		"conform world ":              "init export",
		"conform world ex":            "export",
		"conform world export --re":   "--region --region-endpoint --regions",
		"conform world init --re":     "",
		"conform check --de":          "--dest",
		"conform completion z":        "zsh",
		"conform help wo":             "world",
		"conform run --json-r":        "--json-report",
		"conform plan --up":           "--upgrade",
		"conform verify-oracle --cas": "--cassette",
	} {
		words := strings.Fields(line)
		if strings.HasSuffix(line, " ") {
			words = append(words, "")
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + w + "'"
		}
		call := "COMP_WORDS=(" + strings.Join(quoted, " ") + "); COMP_CWORD=" + strconv.Itoa(len(words)-1) + `; _conform; echo "${COMPREPLY[*]}"`
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script.String()+"\n"+call)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: bash: %v: %s", line, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%q offers %q; want %q", line, got, want)
		}
	}
}
