// Command mutate measures how well a package's tests bite: it changes one
// operator at a time in the package's code (== into !=, < into >=, && into ||,
// ! removed, + into -, true into false …), runs the package's tests against
// each change through go's -overlay (the source tree is never touched), and
// counts the changes the tests catch. A change that compiles and passes every
// test is a surviving mutant: a line no test holds to its meaning.
//
// Usage: go run ./internal/cmd/mutate [-j N] [-timeout D] [-run REGEXP] PKGDIR[=TESTPKG,…]...
//
// A package whose tests live elsewhere names them after "=": the mutants of
// ./internal/refserver are judged by ./server's tests with
// ./internal/refserver=./server.
//
// Planted faults are not mutated: faults.go, planted.go (their names and
// switches) and any line that reads a Faults switch exist to be wrong on
// purpose; mutating them measures nothing of the product.
//
// A file named mutation-equivalent.txt in a package's directory lists the
// survivors that cannot be caught, because the change does not change what
// the code does: one line per mutant, "file:line:col old→new: reason". They
// are reported, and left out of the score.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// swaps are the operator replacements tried.
var swaps = map[token.Token]token.Token{
	token.EQL: token.NEQ, token.NEQ: token.EQL,
	token.LSS: token.GEQ, token.GEQ: token.LSS,
	token.GTR: token.LEQ, token.LEQ: token.GTR,
	token.LAND: token.LOR, token.LOR: token.LAND,
	token.ADD: token.SUB, token.SUB: token.ADD,
}

// mutant is one change: the bytes at [off, off+len(old)) of file become new.
type mutant struct {
	file     string // absolute path
	rel      string // path as reported: pkg/file.go
	line     int
	col      int
	off      int
	old, new string
}

func (m mutant) id() string {
	return fmt.Sprintf("%s:%d:%d %s→%s", filepath.Base(m.file), m.line, m.col, show(m.old), show(m.new))
}

func show(s string) string {
	if s == "" {
		return "∅"
	}
	return s
}

func main() {
	jobs := flag.Int("j", 2, "mutants tested at once")
	timeout := flag.Duration("timeout", 2*time.Minute, "bound on one mutant's test run (a hang counts as caught)")
	run := flag.String("run", "", "only mutants whose file:line matches this regexp")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/cmd/mutate [-j N] [-timeout D] [-run REGEXP] PKGDIR...")
		os.Exit(2)
	}
	var filter *regexp.Regexp
	if *run != "" {
		filter = regexp.MustCompile(*run)
	}
	failed := false
	for _, arg := range flag.Args() {
		dir, tests, _ := strings.Cut(arg, "=")
		testPkgs := []string{"."}
		if tests != "" {
			testPkgs = strings.Split(tests, ",")
		}
		if err := mutatePackage(dir, testPkgs, *jobs, *timeout, filter, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "mutate %s: %v\n", dir, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// mutatePackage tests every mutant of the package in dir against testPkgs
// and writes its score, survivors and stale equivalents to w.
func mutatePackage(dir string, testPkgs []string, jobs int, timeout time.Duration, filter *regexp.Regexp, w io.Writer) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	mutants, err := find(abs, dir)
	if err != nil {
		return err
	}
	if filter != nil {
		var kept []mutant
		for _, m := range mutants {
			if filter.MatchString(fmt.Sprintf("%s:%d", filepath.Base(m.file), m.line)) {
				kept = append(kept, m)
			}
		}
		mutants = kept
	}
	equivalent, err := readEquivalent(filepath.Join(abs, "mutation-equivalent.txt"))
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "mutate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	type outcome struct {
		m      mutant
		result string // killed, survived, not-compiled
	}
	results := make([]outcome, len(mutants))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, jobs))
	for i, m := range mutants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = outcome{m, test(m, abs, testPkgs, tmp, i, timeout)}
		}()
	}
	wg.Wait()

	var killed, survived, equiv, broken int
	var survivors, unlisted []string
	used := map[string]bool{}
	for _, r := range results {
		switch r.result {
		case "killed":
			killed++
		case "not-compiled":
			broken++
		case "survived":
			if id, reason, ok := listed(equivalent, r.m); ok {
				used[id] = true
				equiv++
				survivors = append(survivors, fmt.Sprintf("  equivalent  %s — %s", r.m.id(), reason))
				continue
			}
			survived++
			unlisted = append(unlisted, fmt.Sprintf("  SURVIVED    %s  (%s)", r.m.id(), lineOf(r.m)))
		}
	}
	score := 100.0
	if killed+survived > 0 {
		score = 100 * float64(killed) / float64(killed+survived)
	}
	fmt.Fprintf(w, "%s: %d mutants, %d killed, %d survived, %d equivalent (listed), %d did not compile: score %.1f%% of non-equivalent mutants\n",
		dir, len(mutants), killed, survived, equiv, broken, score)
	sort.Strings(unlisted)
	for _, s := range append(unlisted, survivors...) {
		fmt.Fprintln(w, s)
	}
	// An entry no survivor matches has gone stale (its line moved, or a
	// test now kills it): say so, so the list stays true.
	var stale []string
	for id := range equivalent {
		if !used[id] && filter == nil {
			stale = append(stale, "  STALE       "+id+" (listed in mutation-equivalent.txt, no such survivor: update or remove it)")
		}
	}
	sort.Strings(stale)
	for _, s := range stale {
		fmt.Fprintln(w, s)
	}
	return nil
}

// find lists every mutant of the package's non-test files.
func find(abs, dir string) ([]mutant, error) {
	files, err := filepath.Glob(filepath.Join(abs, "*.go"))
	if err != nil {
		return nil, err
	}
	var out []mutant
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") || filepath.Base(file) == "faults.go" || filepath.Base(file) == "planted.go" {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		lines := strings.Split(string(src), "\n")
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			return nil, err
		}
		add := func(pos token.Pos, old, new string) {
			p := fset.Position(pos)
			if line := lines[p.Line-1]; strings.Contains(line, "Faults.") || strings.Contains(line, "faults.") {
				return
			}
			out = append(out, mutant{file: file, rel: filepath.Join(dir, filepath.Base(file)), line: p.Line, col: p.Column, off: p.Offset, old: old, new: new})
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.BinaryExpr:
				if to, ok := swaps[x.Op]; ok && !isStringConcat(x) {
					add(x.OpPos, x.Op.String(), to.String())
				}
			case *ast.UnaryExpr:
				if x.Op == token.NOT {
					add(x.OpPos, "!", "")
				}
			case *ast.Ident:
				switch x.Name {
				case "true":
					add(x.Pos(), "true", "false")
				case "false":
					add(x.Pos(), "false", "true")
				}
			}
			return true
		})
	}
	return out, nil
}

// isStringConcat guesses that a + joins strings (a string literal on either
// side): turning it into - does not compile, so it is not tried.
func isStringConcat(x *ast.BinaryExpr) bool {
	if x.Op != token.ADD {
		return false
	}
	for _, side := range []ast.Expr{x.X, x.Y} {
		if lit, ok := side.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			return true
		}
	}
	return false
}

// test runs the package's tests with m applied through an overlay.
func test(m mutant, abs string, testPkgs []string, tmp string, i int, timeout time.Duration) string {
	src, err := os.ReadFile(m.file)
	if err != nil {
		return "not-compiled"
	}
	mutated := append(append(append([]byte{}, src[:m.off]...), m.new...), src[m.off+len(m.old):]...)
	path := filepath.Join(tmp, fmt.Sprintf("m%d.go", i))
	if err := os.WriteFile(path, mutated, 0o644); err != nil {
		return "not-compiled"
	}
	overlay := filepath.Join(tmp, fmt.Sprintf("m%d.json", i))
	b, _ := json.Marshal(map[string]map[string]string{"Replace": {m.file: path}})
	if err := os.WriteFile(overlay, b, 0o644); err != nil {
		return "not-compiled"
	}
	// The test binary's own -timeout ends a mutant that hangs: killing go
	// test would leave the test binary it started running. The context is
	// the backstop for a build that hangs, with time for that timeout's
	// report.
	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Minute)
	defer cancel()
	args := append([]string{"test", "-count=1", "-failfast", "-timeout=" + timeout.String(), "-overlay=" + overlay}, testPkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = abs
	if len(testPkgs) > 1 || testPkgs[0] != "." {
		cmd.Dir = "." // test packages are named from where the tool runs
	}
	out, err := cmd.CombinedOutput()
	switch {
	case err == nil:
		return "survived"
	case strings.Contains(string(out), "[build failed]") || strings.Contains(string(out), "[setup failed]"):
		return "not-compiled"
	}
	return "killed"
}

// lineOf is the mutated line's source, trimmed, for the report.
func lineOf(m mutant) string {
	f, err := os.Open(m.file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if n == m.line {
			s := strings.TrimSpace(sc.Text())
			if len(s) > 100 {
				s = s[:100] + "…"
			}
			return s
		}
	}
	return ""
}

// listed finds m in the equivalent list: by its exact id, or else — lines
// move as code is added above — the entry of the same file, column and
// change whose line is nearest, within ten.
func listed(equivalent map[string]string, m mutant) (id, reason string, ok bool) {
	if reason, ok := equivalent[m.id()]; ok {
		return m.id(), reason, true
	}
	best := 11
	for eid, r := range equivalent {
		var file, change string
		var line, col int
		if n, _ := fmt.Sscanf(strings.Replace(eid, ":", " ", 2), "%s %d %d %s", &file, &line, &col, &change); n != 4 {
			continue
		}
		want := fmt.Sprintf("%s→%s", show(m.old), show(m.new))
		d := line - m.line
		if d < 0 {
			d = -d
		}
		if file == filepath.Base(m.file) && col == m.col && change == want && d < best {
			best, id, reason, ok = d, eid, r, true
		}
	}
	return id, reason, ok
}

// readEquivalent reads mutation-equivalent.txt: "id: reason" per line, #
// for comments.
func readEquivalent(path string) (map[string]string, error) {
	out := map[string]string{}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, ok := strings.Cut(line, ": ")
		if !ok {
			return nil, fmt.Errorf("%s: %q is not \"file:line:col old→new: reason\"", path, line)
		}
		out[id] = reason
	}
	return out, nil
}
