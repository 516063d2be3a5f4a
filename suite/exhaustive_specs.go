package suite

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/checks"
)

// exhaustiveSpecs adds one spec per ordered (destination, source) pair of
// the world, each compared with the oracle and labelled with the requirement
// that decides it.
func (e *env) exhaustiveSpecs() {
	Describe("exhaustive", func() {
		w := e.cfg.World
		for i := range w.Instances {
			for j := range w.Instances {
				d, s := w.Instances[i].ID, w.Instances[j].ID
				v := e.cases.expect(d, s)
				id := "OK-CREATED"
				if k := v.Deciding(); k >= 0 {
					id = checks.Rules()[k].ID
				}
				if _, known := e.cat.Lookup(id); !known {
					id = "OK-CREATED"
				}
				It(title(fmt.Sprintf("%s ← %s is %s", d, s, v.Decision()), id), e.req(id), func(ctx SpecContext) {
					p := pair{Dest: d, Source: s, Why: "exhaustive"}
					if e.cases.existing[[2]string{d, s}] {
						Skip("the world's repos already hold this pair")
					}
					if v.Decision() == checks.Undecided {
						Skip("the oracle cannot decide this pair: " + v.Message(v.Deciding()))
					}
					resp := e.add(ctx, e.client, apiclient.AddJSON(d, s), p)
					if sourceStatusOpen(&v) {
						// The documentation says nothing of the source's own
						// status: accepting and refusing both pass.
						if resp.Status != 200 {
							expectRefused(resp, "")
							e.expectNothingCreated(ctx, p)
						}
						return
					}
					if v.Decision() == checks.Compatible {
						expectSuccess(resp)
						return
					}
					if code := documented(&v); code != "" {
						want := v.APIError()
						expectError(resp, want.Status, code, want.Message)
						return
					}
					expectRefused(resp, "")
				})
			}
		}
	})
}
