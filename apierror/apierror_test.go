package apierror

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// Every answer says where it comes from: each Error literal of this package
// names its Source, and only the reference's own are Documented.
func TestEveryErrorNamesItsSource(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "apierror.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		lit, ok := node.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "Error" {
			return true
		}
		n++
		fields := map[string]string{}
		for _, el := range lit.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				fields[kv.Key.(*ast.Ident).Name] = exprText(kv.Value)
			}
		}
		where := fset.Position(lit.Pos())
		switch {
		case fields["Source"] == "":
			t.Errorf("%s: error %s names no Source", where, fields["Code"])
		case fields["Documented"] == "true" && fields["Source"] != "SourceReference":
			t.Errorf("%s: error %s is Documented but its Source is %s", where, fields["Code"], fields["Source"])
		case fields["Documented"] != "true" && fields["Source"] == "SourceReference":
			t.Errorf("%s: error %s cites the reference but is not Documented", where, fields["Code"])
		}
		return true
	})
	if n < 20 {
		t.Errorf("found %d Error literals: the test does not read apierror.go", n)
	}
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
