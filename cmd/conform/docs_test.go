package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/snaprepo/conform/catalogue"
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
	for _, h := range []string{usage, runHelp, checkHelp, serveHelp, worldHelp, worldInitHeader} {
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
