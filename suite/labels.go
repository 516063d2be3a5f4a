package suite

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/catalogue"
)

// How a spec states its requirement: once, as its ID, with the labels
// (the ID and its level) read from the catalogue.

// req labels a spec with its requirement IDs and their levels, from the
// catalogue. An unknown ID stops the run while the specs are being built.
func (e *env) req(ids ...string) Labels {
	labels := Labels{}
	for _, id := range ids {
		r, ok := e.cat.Lookup(id)
		if !ok {
			panic(fmt.Sprintf("suite: spec labelled with %q, which is not in requirements.yaml", id))
		}
		labels = append(labels, id)
		if !strings.Contains(strings.Join(labels, ","), r.Level) {
			labels = append(labels, r.Level)
		}
	}
	return labels
}

// it is Ginkgo's It for the requirement id: the ID is written once, and the
// spec's labels (the ID and its level) come from the catalogue. Reports name
// the spec by its ID first, and by the file and line of the e.it call
// (Offset: not this line).
func (e *env) it(id, text string, body any, decorators ...any) bool {
	return It(text, append(append([]any{e.req(id), Offset(1)}, decorators...), body)...)
}

// table is Ginkgo's DescribeTable for the requirement id: its labels are the
// table's, so no entry states them again.
func (e *env) table(id, text string, body any, entries ...TableEntry) bool {
	return DescribeTable(text, append([]any{e.req(id), Offset(1), body}, entriesAsAny(entries)...)...)
}

func entriesAsAny(entries []TableEntry) []any {
	out := make([]any, len(entries))
	for i, en := range entries {
		out[i] = en
	}
	return out
}

// ids is the requirement IDs of the running spec.
func ids() string {
	var out []string
	for _, l := range CurrentSpecReport().Labels() {
		if l != catalogue.Must && l != catalogue.Should {
			out = append(out, l)
		}
	}
	return strings.Join(out, ", ")
}
