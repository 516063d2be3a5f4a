package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/snaprepo/conform/report"
	"github.com/snaprepo/conform/server"
)

// updateGolden regenerates the golden files of the scripts.
var updateGolden = flag.Bool("update", false, "rewrite the scripts' golden files (testdata/script/golden.txtar) from what conform prints now")

// exitTable is the code → meaning table that follows heading in README.md.
func exitTable(t *testing.T, readme, heading string) map[int]string {
	t.Helper()
	i := strings.Index(readme, heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no %q", heading)
	}
	rest := readme[i+len(heading):]
	if j := strings.Index(rest, "\n#"); j >= 0 {
		rest = rest[:j]
	}
	rows := map[int]string{}
	for _, m := range regexp.MustCompile(`(?m)^\| (\d) \| (.+) \|$`).FindAllStringSubmatch(rest, -1) {
		n, _ := strconv.Atoi(m[1])
		rows[n] = m[2]
	}
	return rows
}

// The README's exit-code tables say what the code does.
func TestReadmeExitCodesAreTheCodes(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	runCodes := exitTable(t, readme, "### Exit codes of `conform run`")
	for code, words := range map[int]string{
		report.ExitComplete:   "every selected requirement ran and none failed",
		report.ExitFailed:     "a requirement failed",
		report.ExitHarness:    "harness or usage error",
		report.ExitIncomplete: "incomplete",
	} {
		if !strings.Contains(runCodes[code], words) {
			t.Errorf("README: conform run exit %d is %q, want it to say %q", code, runCodes[code], words)
		}
		if !strings.Contains(report.ExitCodesText, strconv.Itoa(code)+"  "+words) {
			t.Errorf("the reports' exit codes lack %d %q", code, words)
		}
	}
	if len(runCodes) != 4 {
		t.Errorf("README lists %d exit codes for conform run, want 4", len(runCodes))
	}
	checkCodes := exitTable(t, readme, "### Exit codes")
	for code, words := range map[int]string{exitOK: "compatible", exitFailed: "not compatible", exitUsage: "bad input or usage", exitUndecided: "undecided", exitLookup: "the lookup failed"} {
		if !strings.Contains(checkCodes[code], words) {
			t.Errorf("README: conform check exit %d is %q, want it to say %q", code, checkCodes[code], words)
		}
		if !strings.Contains(checkHelp, strconv.Itoa(code)+"  ") {
			t.Errorf("conform check --help does not list exit %d", code)
		}
	}
	for _, line := range strings.Split(report.ExitCodesText, "\n") {
		if !strings.Contains(runHelp, line) {
			t.Errorf("conform run --help lacks %q", line)
		}
	}
}

// The commands the README shows, and the answers users see, as scripts
// (testdata/script/*.txtar) run by testscript the way the Go command tests
// itself: `exec conform …`, `stdout …`; `exits N conform …` wants exit code N.
//
// golden.txtar holds every --help and completion script; -update rewrites
// it (and any other script's cmp files) from what conform prints now.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *updateGolden,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exits CODE command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("exits: %q is not an exit code", args[0])
				}
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				var ee *exec.ExitError
				switch {
				case errors.As(err, &ee):
					got = ee.ExitCode()
				case err != nil:
					ts.Fatalf("exits: %v", err)
				}
				if got != want {
					ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
				}
			},
		},
	})
}

// The README's library example is the test file suite/runexample holds,
// which the build compiles.
func TestReadmeLibraryExampleIsTheCompiledFile(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile("../../suite/runexample/conformance_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, code, _ := strings.Cut(string(file), "package runexample\n")
	if !strings.Contains(string(readme), "```go\n"+strings.TrimLeft(code, "\n")+"```") {
		t.Error("README's library example is not suite/runexample/conformance_test.go: copy the file's code (after the package line) into the README")
	}
}

// README's table of planted faults is the list conform serve --faults
// prints, row for row.
func TestTheReadmeListsEveryPlantedFault(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, f := range server.PlantedFaults() {
		fmt.Fprintf(&want, "| `%s` | %s | %s |\n", f.Name, strings.ReplaceAll(f.Breaks, "|", `\|`), f.CaughtBy)
	}
	if !strings.Contains(string(readme), want.String()) {
		t.Errorf("README.md's planted-fault table is not conform serve --faults; want these rows:\n%s", want.String())
	}
}
