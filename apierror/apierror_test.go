package apierror

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/snaprepo/conform/contract"
)

// Every answer is the ledger's: each variable of apierror.go is
// fromLedger of its own name, and every answer of the ledger has one; only
// answers an operation documents are Documented, and those cite a reference.
func TestEveryErrorIsTheLedgers(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "apierror.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.VAR {
			continue
		}
		for _, s := range gen.Specs {
			checkLedgerVar(t, fset, s.(*ast.ValueSpec), seen)
		}
	}
	l := contract.MustBuiltin()

	for _, a := range l.Answers {
		if !seen[a.Name] {
			t.Errorf("contract.yaml answer %s has no variable in apierror.go", a.Name)
		}
		e := fromLedger(a.Name)
		switch kind := l.Source(a.Source).Kind; {
		case e.Documented && kind != contract.KindReference:
			t.Errorf("%s is documented by an operation but cites %s", a.Name, kind)
		case !e.Documented && kind == contract.KindReference:
			t.Errorf("%s cites a reference page but no operation documents it", a.Name)
		case e.Source == "" || e.Kind != kind:
			t.Errorf("%s: source %q, kind %q", a.Name, e.Source, e.Kind)
		}
	}
	if len(seen) < 20 {
		t.Errorf("found %d answers: the test does not read apierror.go", len(seen))
	}
}

// Answer never passes a code of conform's off as the API's.
func TestAnswerSaysWhatIsDocumented(t *testing.T) {
	if a := InstanceActivating.Answer(); !strings.Contains(a, "the API answers: 400 InstanceActivating") || !strings.Contains(a, "(documented") {
		t.Errorf("documented: %s", a)
	}
	if a := RegionMismatch.Answer(); strings.Contains(a, "the API answers") || !strings.Contains(a, "not documented — conform calls it SnapshotRepo.RegionMismatch") {
		t.Errorf("conform's own: %s", a)
	}
	if a := InstanceNotActive.Answer(); strings.Contains(a, "the API answers") || !strings.Contains(a, "elsewhere with 400 InstanceStatusNotSupportCurrentAction") {
		t.Errorf("the platform's from elsewhere: %s", a)
	}
	if a := Throttled.Answer(); !strings.Contains(a, "gateway answers: 400 Throttling.User") {
		t.Errorf("the gateway's: %s", a)
	}
}

func checkLedgerVar(t *testing.T, fset *token.FileSet, spec *ast.ValueSpec, seen map[string]bool) {
	t.Helper()
	call, ok := spec.Values[0].(*ast.CallExpr)
	if !ok || exprText(call.Fun) != "fromLedger" {
		t.Errorf("%s: %s is not fromLedger(…): codes are written in fixtures/contract.yaml only", fset.Position(spec.Pos()), spec.Names[0].Name)
		return
	}
	if name := exprText(call.Args[0]); name != spec.Names[0].Name {
		t.Errorf("%s: %s reads the ledger's %s: a variable is named after its answer", fset.Position(spec.Pos()), spec.Names[0].Name, name)
	}
	seen[spec.Names[0].Name] = true
}

func exprText(e ast.Expr) string {
	switch v := e.(type) {
	case *ast.Ident:
		return v.Name
	case *ast.BasicLit:
		return strings.Trim(v.Value, `"`)
	case *ast.SelectorExpr:
		return exprText(v.X) + "." + v.Sel.Name
	}
	return "?"
}
