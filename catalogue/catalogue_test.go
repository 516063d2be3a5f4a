package catalogue

import (
	"strings"
	"testing"
)

func TestBuiltinCatalogueLoads(t *testing.T) {
	c, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	r, ok := c.Lookup("RULE-KERNEL-6.7")
	if !ok || r.Level != Must || r.Family != "rules" || c.Version == "" {
		t.Errorf("got %+v %v", r, ok)
	}
}

func TestBrokenCataloguesAreRefusedWithTheirPlace(t *testing.T) {
	for name, tt := range map[string]struct{ doc, says string }{
		"no version":    {"requirements: []", "version: missing"},
		"bad level":     {"version: '1'\nrequirements: [{id: A, family: rules, level: MAY, statement: s}]", `A: level "MAY"`},
		"bad family":    {"version: '1'\nrequirements: [{id: A, family: misc, level: MUST, statement: s}]", `A: family "misc"`},
		"duplicate":     {"version: '1'\nrequirements: [{id: A, family: rules, level: MUST, statement: s, since: '1'}, {id: A, family: rules, level: MUST, statement: s, since: '1'}]", "A: duplicate id"},
		"no since":      {"version: '1'\nrequirements: [{id: A, family: rules, level: MUST, statement: s}]", "A: since: missing"},
		"unknown field": {"version: '1'\nrequirements: [{id: A, family: rules, level: MUST, statement: s, sevrity: x}]", "sevrity"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.doc)); err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("err = %v, want %q", err, tt.says)
			}
		})
	}
}

func TestMarkdownListsEveryRequirementWithWhatIsLeftOpen(t *testing.T) {
	c, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	md := c.Markdown()
	for _, r := range c.Requirements {
		if !strings.Contains(md, "| "+r.ID+" | "+r.Level+" | "+r.Since+" | ") {
			t.Errorf("%s missing from the Markdown", r.ID)
		}
	}
	if !strings.Contains(md, "# Requirement catalogue "+c.Version) || !strings.Contains(md, "success or a 4xx envelope") {
		t.Errorf("Markdown:\n%.500s", md)
	}
}
