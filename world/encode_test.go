package world

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestAnEncodedWorldLoadsBackTheSame(t *testing.T) {
	f := Synthetic(2, 2, 5, 3)
	f.Repos = []Repo{{Instance: f.Instances[0].ID, RepoPath: f.Instances[1].ID, Status: RepoUnavailable}}
	var b bytes.Buffer
	if err := Encode(&b, f, "exported\nby a test"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "# exported\n# by a test\n") {
		t.Errorf("the comment does not open the file:\n%s", b.String()[:80])
	}
	w, err := Parse("encoded.yaml", b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	direct, err := FromFile("direct", f)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w.File(), direct.File(); !reflect.DeepEqual(got, want) {
		t.Errorf("loaded back:\n%+v\nwant:\n%+v", got, want)
	}
}

// Text a world prints — regions, account ids and names — holds no byte
// that could rewrite a terminal or a page: each is refused with a line
// naming the field.
func TestWorldTextHoldsNoControlBytes(t *testing.T) {
	for name, bad := range map[string]string{"ESC": "\x1b[2J", "BEL": "\a", "CR": "\r", "NUL": "\x00", "C1": "\u009b", "newline": "\nrule forged", "invalid UTF-8": "\xff"} {
		for _, field := range []string{"region", "account id", "account name"} {
			f := &File{Region: "cn-a", Accounts: []Account{{ID: "1"}}, Instances: []InstanceRecord{{ID: "es-a", Account: "1", Region: "cn-a", Version: "7.10"}}}
			switch field {
			case "region":
				f.Instances[0].Region = "cn-a" + bad
			case "account id":
				f.Accounts[0].ID, f.Instances[0].Account = "1"+bad, "1"+bad
			case "account name":
				f.Accounts[0].Name = "team" + bad
			}
			_, err := FromFile("w.yaml", f)
			var inv *InvalidError
			if !errors.As(err, &inv) || len(inv.Problems) != 1 || !strings.Contains(err.Error(), field) {
				t.Errorf("%s in the %s: %v; want one problem naming it", name, field, err)
				continue
			}
			if strings.ContainsAny(err.Error(), "\x1b\a\r\x00\u009b") {
				t.Errorf("%s in the %s: the error carries it raw: %q", name, field, err)
			}
		}
	}
}
