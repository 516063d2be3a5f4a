package housekeeping

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/snaprepo/conform/"

// classicSDK is what ARCHITECTURE.md calls "the classic SDK".
const classicSDK = "github.com/aliyun/alibaba-cloud-sdk-go/"

// forbidden reads ARCHITECTURE.md's packages table: for each package, the
// imports its "must never import" column names — `pkg` is this module's
// package, `net/http` a standard one, "any package of this project" the
// whole module, "the classic SDK" (or `alibaba-cloud-sdk-go`) its packages.
// Text after " — " in a cell explains and names nothing.
func forbidden(t *testing.T, doc string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	row := regexp.MustCompile("(?m)^\\| `([a-z/]+)` \\| [^|]+ \\| ([^|]+) \\|$")
	tick := regexp.MustCompile("`([^`]+)`")
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		pkg, cell := m[1], m[2]
		var banned []string
		if strings.Contains(cell, "any package of this project") {
			banned = append(banned, module)
		}
		if strings.Contains(cell, "the classic SDK") || strings.Contains(cell, "`alibaba-cloud-sdk-go`") {
			banned = append(banned, classicSDK)
		}
		named, _, _ := strings.Cut(cell, " — ")
		for _, n := range tick.FindAllStringSubmatch(named, -1) {
			switch name := n[1]; {
			case name == "alibaba-cloud-sdk-go":
			case name == "net/http" || strings.Contains(name, "."):
				banned = append(banned, name)
			default:
				banned = append(banned, module+name)
			}
		}
		out[pkg] = banned
	}
	if len(out) < 15 {
		t.Fatalf("read %d rows of ARCHITECTURE.md's packages table: the table's layout changed", len(out))
	}
	return out
}

// root is the repository's root, from this package's directory.
const root = "../.."

// architecture is ARCHITECTURE.md's text.
func architecture(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(root, "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(doc)
}

func TestPackagesImportOnlyWhatTheArchitectureAllows(t *testing.T) {
	doc := architecture(t)
	table := forbidden(t, doc)
	for _, must := range []string{"apierror", "checks", "suite", "internal/refserver", "live"} {
		if len(table[must]) == 0 {
			t.Errorf("ARCHITECTURE.md's table forbids %s nothing: the test no longer reads it", must)
		}
	}
	for pkg, banned := range table {
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		if len(files) == 0 {
			t.Errorf("package %s of ARCHITECTURE.md has no files", pkg)
		}
		// A package of tests alone (suite/embedtest) is held to its row by
		// its tests; any other by its code.
		testsOnly := !slices.ContainsFunc(files, func(f string) bool { return !strings.HasSuffix(f, "_test.go") })
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") && !testsOnly {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				for _, b := range banned {
					if path == b || (strings.HasSuffix(b, "/") && strings.HasPrefix(path, b)) {
						t.Errorf("%s imports %s, which ARCHITECTURE.md forbids", file, path)
					}
				}
			}
		}
	}
}

// Every package of the module has its row in ARCHITECTURE.md's tables, and
// every row names a package: a newcomer finds each one there.
func TestEveryPackageHasItsRow(t *testing.T) {
	doc := architecture(t)
	table := forbidden(t, doc)
	cmd := exec.Command("go", "list", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("skipped: go list failed: %v", err)
	}
	listed := map[string]bool{}
	for _, path := range strings.Fields(string(out)) {
		pkg := strings.TrimPrefix(path, module)
		listed[pkg] = true
		if _, ok := table[pkg]; !ok {
			t.Errorf("package %s has no row in ARCHITECTURE.md: add one (what it owns, what it must never import)", pkg)
		}
	}
	for pkg := range table {
		if !listed[pkg] {
			t.Errorf("ARCHITECTURE.md has a row for %s, which is not a package of the module", pkg)
		}
	}
}

// Every file a recipe of ARCHITECTURE.md names exists.
func TestArchitectureRecipesNameFilesThatExist(t *testing.T) {
	doc := architecture(t)
	paths := regexp.MustCompile("`([a-z/_.]+\\.(?:go|yaml|md))`").FindAllStringSubmatch(doc, -1)
	if len(paths) < 10 {
		t.Fatalf("only %d file names found", len(paths))
	}
	for _, m := range paths {
		if _, err := os.Stat(filepath.Join(root, m[1])); err != nil {
			t.Errorf("ARCHITECTURE.md names %s, which does not exist", m[1])
		}
	}
	readme, _ := os.ReadFile(filepath.Join(root, "README.md"))
	if !strings.Contains(string(readme), "(ARCHITECTURE.md)") {
		t.Error("README.md does not link ARCHITECTURE.md")
	}
}

// The binary and the suite do not compile the classic SDK's generated
// services: a first `go run ./cmd/conform run` would download and build
// them for minutes. Tests may use the SDK to prove conform speaks like it.
func TestTheBinaryDoesNotDependOnTheClassicSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", module+"cmd/conform", module+"suite").Output()
	if err != nil {
		t.Skipf("skipped: go list failed: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/aliyun/alibaba-cloud-sdk-go/") {
			t.Errorf("cmd/conform or suite depends on %s", dep)
		}
	}
}
