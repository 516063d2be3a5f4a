package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/contract"
)

func TestTheCommittedRequirementCatalogueIsCurrent(t *testing.T) {
	cat, err := catalogue.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../docs/requirements.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != cat.Markdown() {
		t.Error("docs/requirements.md is not what `conform requirements` prints: run go run ./cmd/conform requirements > docs/requirements.md")
	}
}

func TestTheCommittedContractIsCurrent(t *testing.T) {
	l, err := contract.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../docs/contract.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != l.Markdown() {
		t.Error("docs/contract.md is not what `conform contract` prints: run go run ./cmd/conform contract > docs/contract.md")
	}
}

// Every link and file name the docs and the CLI's texts point to resolves
// inside the repository: a clone has nothing else.
func TestEveryLinkResolvesInsideTheRepository(t *testing.T) {
	root := "../../"
	docs, _ := filepath.Glob(root + "docs/*.md")
	docs = append(docs, root+"README.md", root+"ARCHITECTURE.md")
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(doc), target)); err != nil {
				t.Errorf("%s links %s, which does not exist", filepath.Base(doc), target)
			}
		}
		if bytes.Contains(b, []byte("../shared")) {
			t.Errorf("%s points outside the repository (../shared)", filepath.Base(doc))
		}
	}
	// The CLI's help texts and messages name docs by path.
	var texts strings.Builder
	for _, h := range []string{usageText(), runHelp, checkHelp, serveHelp, worldHelp, worldInitHeader} {
		texts.WriteString(h)
	}
	sources, _ := filepath.Glob(root + "*/*.go")
	for _, f := range sources {
		if !strings.HasSuffix(f, "_test.go") {
			b, _ := os.ReadFile(f)
			texts.Write(b)
		}
	}
	for _, m := range regexp.MustCompile(`docs/[a-z-]+\.md`).FindAllString(texts.String(), -1) {
		if _, err := os.Stat(root + m); err != nil {
			t.Errorf("a help text or message names %s, which does not exist", m)
		}
	}
	for _, stale := range []string{"WORLD.md", "REQUIREMENTS.md", "SIGNING.md", "../shared"} {
		if strings.Contains(texts.String(), stale) {
			t.Errorf("a help text or source names %s, which a clone does not have", stale)
		}
	}
}

// The GitHub Actions recipe of docs/ci.md, run as written: its run: steps
// (the install step excepted: the binary under test stands in for it) in a
// shell, against a conform serve, with a world from conform world init.
func TestTheCIRecipeRunsAsWritten(t *testing.T) {
	doc, err := os.ReadFile("../../docs/ci.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)## GitHub Actions\n\n```yaml\n(.*?)```").FindSubmatch(doc)
	if block == nil {
		t.Fatal("docs/ci.md has no GitHub Actions workflow")
	}
	var steps []string
	for _, m := range regexp.MustCompile(`(?m)^\s+- run: (.+)$`).FindAllSubmatch(block[1], -1) {
		step := string(m[1])
		if strings.HasPrefix(step, "go install ") {
			continue
		}
		steps = append(steps, step)
	}
	if len(steps) < 3 {
		t.Fatalf("only %d run: steps in the workflow", len(steps))
	}
	dir := t.TempDir()
	var world bytes.Buffer
	if code := run([]string{"world", "init"}, &world, &bytes.Buffer{}); code != 0 {
		t.Fatal("world init failed")
	}
	if err := os.WriteFile(filepath.Join(dir, "world.yaml"), world.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--log-level", "error", "--world", filepath.Join(dir, "world.yaml"))
	bin := filepath.Dir(conformBinary(t))
	for _, step := range steps {
		cmd := exec.Command("sh", "-ec", step)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"CONFORM_ENDPOINT="+s.url, "GITHUB_STEP_SUMMARY="+filepath.Join(dir, "step-summary.md"), "NO_COLOR=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("step %q: %v\n%s", step, err, out)
		}
	}
	for _, f := range []string{"conform-junit.xml", "conform-summary.md", "conform-report.html", "conform-badge.svg", "step-summary.md"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("the recipe did not produce %s: %v", f, err)
		}
	}
}

// docs/testing.md's examples are run: the shell block against the binary,
// and the Go and Node blocks are the code conform's own tests run.
func TestTheTestingGuideRunsAsWritten(t *testing.T) {
	doc, err := os.ReadFile("../../docs/testing.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```(go|js|sh)\n(.*?)```").FindAllSubmatch(doc, -1)
	if len(blocks) < 5 {
		t.Fatalf("%d code blocks in docs/testing.md", len(blocks))
	}
	sources := map[string]string{}
	for lang, files := range map[string][]string{"go": {"../../conformtest/conformtest_test.go"}, "js": {"../../interop/node/drive.js"}} {
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sources[lang] += string(b)
		}
	}
	ran := false
	for _, b := range blocks {
		lang, code := string(b[1]), string(b[2])
		if lang != "sh" {
			for _, line := range strings.Split(strings.TrimSpace(code), "\n") {
				if !strings.Contains(sources[lang], strings.TrimSpace(line)) {
					t.Errorf("docs/testing.md shows %s code that no test runs: %q", lang, line)
				}
			}
			continue
		}
		if _, err := exec.LookPath("curl"); err != nil {
			t.Skip("curl is not installed: the shell example cannot run")
		}
		// The guide names a fixed port; the test runs it on a free one, with a
		// deadline, so a failing line cannot leave the server holding the pipe.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "sh", "-ec", strings.ReplaceAll(code, "127.0.0.1:9290", addr))
		cmd.WaitDelay = 5 * time.Second
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(conformBinary(t))+string(os.PathListSeparator)+os.Getenv("PATH"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("the shell example: %v\n%s", err, out)
		}
		ran = true
	}
	if !ran {
		t.Error("no shell example ran")
	}
}

// Every command of the top-level usage stands apart from its description,
// in one column: "conform verify-oracle [flags]hold …" once ran together.
func TestUsageColumnsStandApart(t *testing.T) {
	col := -1
	for _, c := range commandTable() {
		name := strings.TrimSpace("conform " + c.name + " " + c.args)
		var line string
		for l := range strings.SplitSeq(usageText(), "\n") {
			if strings.HasPrefix(l, "  "+name+" ") && strings.HasSuffix(l, c.short) {
				line = l
			}
		}
		if line == "" {
			t.Errorf("usage has no line for %q that ends with its description, two spaces apart", name)
			continue
		}
		at := len(line) - len(c.short)
		if !strings.HasSuffix(line[:at], "  ") {
			t.Errorf("usage line %q: the command runs into its description", line)
		}
		if col >= 0 && at != col {
			t.Errorf("usage line %q: its description starts at column %d, the others at %d", line, at, col)
		}
		col = at
	}
}
