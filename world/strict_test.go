package world

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const okYAML = `region: cn-hangzhou
accounts:
  - id: "1"
    accessKeys: [{id: LTAI5tK1, secret: s}]
instances:
  - id: es-cn-a
    account: "1"
    region: cn-hangzhou
    version: 7.10.0
`

const okJSON = `{"region":"cn-hangzhou","accounts":[{"id":"1","accessKeys":[{"id":"LTAI5tK1","secret":"s"}]}],
"instances":[{"id":"es-cn-a","account":"1","region":"cn-hangzhou","version":"7.10.0"}]}`

// The same mistake is refused the same way in YAML and JSON, naming the
// field, its line and the nearest known field.
func TestJSONAndYAMLWorldsAreValidatedAlike(t *testing.T) {
	for _, ok := range []string{okYAML, okJSON} {
		if _, err := Parse("w", []byte(ok)); err != nil {
			t.Fatalf("a good world: %v", err)
		}
	}
	tests := []struct {
		name, yaml, json string
		says             []string
	}{
		{"a key in another case",
			strings.Replace(okYAML, "region: cn-hangzhou\naccounts", "REGION: cn-hangzhou\naccounts", 1),
			strings.Replace(okJSON, `{"region"`, `{"REGION"`, 1),
			[]string{`unknown field "REGION" in the world (the top level) (did you mean region?)`, "line 1"}},
		{"a typo in an instance",
			strings.Replace(okYAML, "    version: 7.10.0", "    verison: 7.10.0", 1),
			strings.Replace(okJSON, `"version":"7.10.0"`, `"verison":"7.10.0"`, 1),
			[]string{`unknown field "verison" in an instance (did you mean version?)`}},
		{"a key given twice",
			strings.Replace(okYAML, "    version: 7.10.0", "    id: es-cn-b\n    version: 7.10.0", 1),
			strings.Replace(okJSON, `"version":"7.10.0"`, `"id":"es-cn-b","version":"7.10.0"`, 1),
			[]string{"id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for format, doc := range map[string]string{"yaml": tt.yaml, "json": tt.json} {
				_, err := Parse("w."+format, []byte(doc))
				if err == nil {
					t.Errorf("%s: accepted", format)
					continue
				}
				for _, s := range tt.says {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("%s: %v\nwant it to say %q", format, err, s)
					}
				}
				if strings.Contains(err.Error(), "world.InstanceRecord") || strings.Contains(err.Error(), "world.File") {
					t.Errorf("%s: a Go type name in %v", format, err)
				}
			}
		})
	}
	_, err := Parse("w.json", []byte(strings.Replace(okJSON, `"version":"7.10.0"`, `"id":"x","version":"7.10.0"`, 1)))
	if err == nil || !strings.Contains(err.Error(), "line 2: instances[0].id is given twice") {
		t.Errorf("JSON duplicate key: %v", err)
	}
}

// A world with exactly one problem is refused: every problem counts.
func TestAWorldWithOneProblemIsRefused(t *testing.T) {
	for name, doc := range map[string]string{
		"bad version":       strings.Replace(okYAML, "7.10.0", "7.1O", 1),
		"unknown account":   strings.Replace(okYAML, `account: "1"`, `account: "2"`, 1),
		"no region":         strings.Replace(okYAML, "region: cn-hangzhou\naccounts", "accounts", 1),
		"instance region":   strings.Replace(okYAML, "    region: cn-hangzhou\n", "", 1),
		"bad status":        okYAML + "    status: sleeping\n",
		"bad edition":       okYAML + "    edition: gold edition\n",
		"bad kernel":        okYAML + "    kernel: banana\n",
		"bad instance id":   strings.Replace(okYAML, "id: es-cn-a", "id: es/cn", 1),
		"repo of a ghost":   okYAML + "repos: [{instance: es-cn-a, repoPath: es-cn-ghost}]\n",
		"bad latest kernel": okYAML + "latestKernels: {\"6.7.0\": banana}\n",
	} {
		_, err := Parse("w.yaml", []byte(doc))
		var inv *InvalidError
		if !errors.As(err, &inv) || len(inv.Problems) != 1 || inv.More != 0 {
			t.Errorf("%s: %v, want exactly one problem", name, err)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "w.yaml: ") || strings.Contains(msg, "problem(s)") {
			t.Errorf("%s: one problem is one line naming the file, got:\n%s", name, msg)
		}
	}
}

func TestAWorldWithManyProblemsReportsTheFirstHundredAndACount(t *testing.T) {
	var b strings.Builder
	b.WriteString("region: cn-hangzhou\naccounts: [{id: \"1\"}]\ninstances:\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "  - {id: es-cn-%d, account: \"1\", region: cn-hangzhou, version: nope}\n", i)
	}
	_, err := Parse("big.yaml", []byte(b.String()))
	var inv *InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("%v", err)
	}
	if len(inv.Problems) != MaxProblems || inv.More != 1000-MaxProblems {
		t.Errorf("%d problems kept, %d more; want %d and %d", len(inv.Problems), inv.More, MaxProblems, 1000-MaxProblems)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "big.yaml: 1000 problem(s):") || !strings.Contains(msg, "… and 900 more problem(s)") || strings.Count(msg, "\n") != MaxProblems+1 {
		t.Errorf("message of %d lines:\n%.300s…%s", strings.Count(msg, "\n"), msg, msg[len(msg)-120:])
	}
}

// Nesting is refused in bounded time and memory, arrays, objects and both
// mixed, with one line naming the file, the limit and the place.
func TestDeepNestingIsRefusedAtOnce(t *testing.T) {
	const depth = 200000
	for name, doc := range map[string]string{
		"arrays":  `{"region": ` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`,
		"objects": `{"latestKernels": ` + strings.Repeat(`{"a":`, depth) + `1` + strings.Repeat("}", depth) + `}`,
		"mixed":   `{"instances": ` + strings.Repeat(`[{"id":`, depth) + `1` + strings.Repeat("}]", depth) + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse("deep.json", []byte(doc))
			if err == nil || !strings.Contains(err.Error(), "deep.json: not a world file: line 1: arrays and objects nested deeper than 64 levels") {
				t.Fatalf("err = %v", err)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}

// The strict check reads on past every kind of value — an escaped string,
// null, a number, an empty object or array, the second item of an array —
// and a key spelled with an escape is that key: a key given twice after
// any of them is still refused, in one line of bounded length.
func TestTheStrictCheckReadsPastEveryValue(t *testing.T) {
	twice := func(before string) string {
		return strings.Replace(okJSON, `{"region":"cn-hangzhou",`, `{"region":"cn-hangzhou",`+before, 1)
	}
	long := strings.Repeat("k", 200)
	for name, doc := range map[string]string{
		"after an escaped string": twice(`"latestKernels":{"6.7.0":"1.3\u002e0"},"region":"x",`),
		"a key with an escape":    twice(`"re\u0067ion":"x",`),
		"after null":              twice(`"latestKernels":null,"region":"x",`),
		"after a number":          twice(`"latestKernels":{"6.7.0":7},"region":"x",`),
		"after an empty object":   twice(`"latestKernels":{},"region":"x",`),
		"after an empty array":    twice(`"repos":[],"region":"x",`),
		"in an array's second item": strings.Replace(okJSON, `"version":"7.10.0"}]}`,
			`"version":"7.10.0"},{"id":"es-cn-b","id":"es-cn-c"}]}`, 1),
		"a long key": twice(`"latestKernels":{"` + long + `":"1","` + long + `":"2"},`),
	} {
		_, err := Parse("w.json", []byte(doc))
		if err == nil || !strings.Contains(err.Error(), "is given twice") || strings.Count(err.Error(), "\n") > 0 || len(err.Error()) > 300 {
			t.Errorf("%s: %v; want one short line saying a key is given twice", name, err)
		}
	}
	for _, cut := range []string{`{"repos":[`, `{"repos":[{`, `{"region":"cn\u00`, `{"region"`, `{"region":`, `{"repos":[1`, `{`} {
		if _, err := Parse("w.json", []byte(cut)); err == nil {
			t.Errorf("a world cut short, %s: accepted", cut)
		}
	}
	if _, err := Parse("w.json", []byte(strings.Replace(okJSON, `{"region"`, `{"re\u0067ion"`, 1))); err != nil {
		t.Errorf("a key spelled with an escape: %v", err)
	}
}
