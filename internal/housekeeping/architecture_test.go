package housekeeping

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/snaprepo/conform/"

// forbidden is ARCHITECTURE.md's "must never import" column.
var forbidden = map[string][]string{
	"apierror":           {module},
	"fixtures":           {module},
	"progress":           {module},
	"version":            {module},
	"internal/suggest":   {module},
	"internal/terminal":  {module},
	"internal/wire":      {module + "checks", module + "server", module + "suite"},
	"checks":             {"net/http", module + "world", module + "server", module + "suite", module + "live"},
	"world":              {"net/http", module + "server", module + "suite", module + "live"},
	"catalogue":          {module + "suite", module + "server"},
	"acs":                {module + "checks", module + "world", module + "server", module + "suite"},
	"apiclient":          {module + "checks", module + "server", module + "internal/refserver", module + "suite", "github.com/aliyun/alibaba-cloud-sdk-go/"},
	"internal/refserver": {module + "suite", module + "apiclient", module + "live"},
	"server":             {module + "suite", module + "apiclient"},
	"suite":              {module + "server", module + "internal/refserver", "github.com/aliyun/alibaba-cloud-sdk-go/"},
	"live":               {module + "server", module + "suite", module + "world", "github.com/aliyun/alibaba-cloud-sdk-go/"},
	"report":             {module + "server", module + "suite", module + "apiclient"},
}

func TestPackagesImportOnlyWhatTheArchitectureAllows(t *testing.T) {
	root := filepath.Join("..", "..")
	for pkg, banned := range forbidden {
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		if len(files) == 0 {
			t.Errorf("package %s of ARCHITECTURE.md has no files", pkg)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
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

// Every file a recipe of ARCHITECTURE.md names exists.
func TestArchitectureRecipesNameFilesThatExist(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	paths := regexp.MustCompile("`([a-z/_.]+\\.(?:go|yaml|md))`").FindAllStringSubmatch(string(doc), -1)
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
