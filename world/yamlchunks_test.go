package world

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// yamlVariants are the same synthetic world written in the styles people
// write: block items, flow items, comments and blank lines between items,
// CRLF line ends, items at another indentation, a typo, a duplicate key,
// a tab, an item at the wrong indentation.
func yamlVariants(t *testing.T, rng *rand.Rand) []string {
	t.Helper()
	f := Synthetic(2, 2, 5+rng.IntN(20), rng.Uint64())
	for i := range rng.IntN(8) {
		f.Repos = append(f.Repos, Repo{Instance: f.Instances[i].ID, RepoPath: f.Instances[i+1].ID})
	}
	var block bytes.Buffer
	if err := Encode(&block, f, "a comment\nover two lines"); err != nil {
		t.Fatal(err)
	}
	var flow strings.Builder
	fmt.Fprintf(&flow, "region: %s\naccounts:\n", f.Region)
	for _, a := range f.Accounts {
		fmt.Fprintf(&flow, "- id: %q\n  accessKeys: [{id: %s}]\n", a.ID, a.AccessKeys[0].ID)
	}
	flow.WriteString("instances:   # every one\n\n")
	for i, in := range f.Instances {
		if i%3 == 0 {
			flow.WriteString("    # a comment between items\n\n")
		}
		fmt.Fprintf(&flow, "    - {id: %s, account: %q, region: %s, version: %s, status: %s}\n", in.ID, in.Account, in.Region, in.Version, in.Status)
	}
	flow.WriteString("repos:\n")
	for _, r := range f.Repos {
		fmt.Fprintf(&flow, "  -\n    instance: %s\n    repoPath: %s\n", r.Instance, r.RepoPath)
	}
	b := block.String()
	n := strings.Count(b, "\n")
	lines := strings.Split(b, "\n")
	typo := slices2(lines, rng.IntN(n), func(l string) string { return strings.Replace(l, "version:", "verison:", 1) })
	badIndent := slices2(lines, rng.IntN(n), func(l string) string { return " " + l })
	tab := slices2(lines, rng.IntN(n), func(l string) string { return strings.Replace(l, "  ", "\t", 1) })
	return []string{
		b, flow.String(), strings.ReplaceAll(b, "\n", "\r\n"), strings.ReplaceAll(flow.String(), "\n", "\r\n"),
		typo, badIndent, tab,
		b + "instances:\n  - {id: es-x, account: a, region: r, version: \"7.10\"}\n", // a duplicate key
		strings.Replace(flow.String(), "    - {id:", "   - {id:", 1+rng.IntN(3)),     // items at two indentations
		"", "# only a comment\n", "instances:\n", "region: r\ninstances: []\n",
	}
}

func slices2(lines []string, at int, change func(string) string) string {
	out := append([]string(nil), lines...)
	out[at] = change(out[at])
	return strings.Join(out, "\n")
}

// Decoded in chunks, a YAML world is what it is decoded whole — the same
// fields, or the same error with the same line number — whatever the
// chunk size.
func TestAWorldDecodedInChunksIsTheWorldDecodedWhole(t *testing.T) {
	chunkedOnce := 0
	for seed := range uint64(25) {
		rng := rand.New(rand.NewPCG(seed, 3))
		for v, data := range yamlVariants(t, rng) {
			var whole File
			wholeErr := decodeWhole([]byte(data), &whole)
			for _, size := range []int{1, 2, 7, 1000} {
				var got File
				err := decodeYAML([]byte(data), &got, size)
				if fmt.Sprint(err) != fmt.Sprint(wholeErr) {
					t.Fatalf("seed %d, variant %d, chunks of %d lines: error %v; whole: %v\n%s", seed, v, size, err, wholeErr, data)
				}
				if err == nil && !reflect.DeepEqual(got, whole) {
					t.Fatalf("seed %d, variant %d, chunks of %d lines: decoded\n%+v\nwhole:\n%+v", seed, v, size, got, whole)
				}
				if plan, ok := planChunks([]byte(data), size); ok && len(plan.chunks) > 1 {
					chunkedOnce++
				}
			}
		}
	}
	if chunkedOnce == 0 {
		t.Fatal("no variant was ever decoded in chunks: the test proves nothing")
	}
}

// What planChunks splits and what it leaves whole: a file it cannot split
// safely is decoded whole (the same world, more memory), and a section is
// cut into chunks of about the lines asked.
func TestWhatIsDecodedInChunks(t *testing.T) {
	items := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "  - id: es-cn-%d\n    account: \"1\"\n", i)
		}
		return b.String()
	}
	head := "region: cn-hangzhou\naccounts: [{id: \"1\"}]\n"
	for name, tt := range map[string]struct {
		doc    string
		chunks int // -1: not split
	}{
		"six items of two lines, chunks of four lines": {head + "instances:\n" + items(6), 3},
		"chunks of one line":                           {head + "instances:\n" + items(6), 6},
		"blank lines and comments among the items":     {head + "instances:\n\n  # the first\n" + items(2) + "\n  # more\n" + items(2), 2},
		"a folded scalar at the top":                   {"region: >\n  cn-hangzhou\n" + "instances:\n" + items(2), 1},
		"an anchor":                                    {"region: &r cn-hangzhou\ninstances:\n" + items(2), -1},
		"an alias":                                     {head + "instances:\n" + items(2) + "repos: *r\n", -1},
		"a byte-order mark":                            {"\xef\xbb\xbf" + head + "instances:\n" + items(2), -1},
		"a document marker":                            {"---\n" + head + "instances:\n" + items(2), -1},
		"a directive":                                  {"%YAML 1.2\n" + head + "instances:\n" + items(2), -1},
		"a document end":                               {head + "instances:\n" + items(2) + "...\n", -1},
		"a sequence at the top":                        {"- a\n- b\n", -1},
		"an item line that is not an item":             {head + "instances:\n  id: x\n" + items(2), -1},
		"a line indented less than the items":          {head + "instances:\n" + items(1) + " - id: es-cn-x\n" + items(1), -1},
		"a tab before the first item":                  {head + "instances:\n\t- id: es-cn-x\n", -1},
		"a dash glued to its value":                    {head + "instances:\n  -id\n", -1},
		"a lone dash":                                  {head + "instances:\n  -\n    id: es-cn-x\n", 1},
	} {
		size := 4
		if name == "chunks of one line" {
			size = 1
		}
		plan, ok := planChunks([]byte(tt.doc), size)
		switch {
		case tt.chunks < 0 && ok:
			t.Errorf("%s: split in %d chunks; want it decoded whole", name, len(plan.chunks))
		case tt.chunks >= 0 && !ok:
			t.Errorf("%s: decoded whole; want %d chunks", name, tt.chunks)
		case ok && len(plan.chunks) != tt.chunks:
			t.Errorf("%s: %d chunks, want %d", name, len(plan.chunks), tt.chunks)
		}
		if ok && strings.Count(string(plan.rest), "\n") != strings.Count(tt.doc, "\n") {
			t.Errorf("%s: the rest has %d lines, the file %d: line numbers would move", name, strings.Count(string(plan.rest), "\n"), strings.Count(tt.doc, "\n"))
		}
	}
}
