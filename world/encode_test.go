package world

import (
	"bytes"
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
