package suite

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/apierror"
	"github.com/snaprepo/conform/checks"
)

func (e *env) errorSpecs() {
	Describe("errors", func() {
		It(title("an unknown destination gets 400 InstanceNotFound", "ERR-INSTANCE-NOT-FOUND"), e.req("ERR-INSTANCE-NOT-FOUND"), func(ctx SpecContext) {
			p := use(e.cases.missingDest())
			nf := apierror.InstanceNotFound
			expectError(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p), nf.Status, nf.Code, nf.Message)
		})

		It(title("an activating destination gets 400 InstanceActivating", "ERR-INSTANCE-ACTIVATING"), e.req("ERR-INSTANCE-ACTIVATING"), func(ctx SpecContext) {
			p := use(e.cases.destWithStatus("ERR-INSTANCE-ACTIVATING", checks.StatusActivating))
			By(p.Why)
			ia := apierror.InstanceActivating
			expectError(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p), ia.Status, ia.Code, ia.Message)
		})

		DescribeTable(title("an inactive or invalid destination is refused and nothing is created", "ERR-INSTANCE-INACTIVE"),
			func(ctx SpecContext, status checks.Status) {
				p := use(e.cases.destWithStatus("ERR-INSTANCE-INACTIVE", status))
				By(p.Why)
				expectRefused(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p), "")
				e.expectNothingCreated(ctx, p)
			},
			Entry("inactive", e.req("ERR-INSTANCE-INACTIVE"), checks.StatusInactive),
			Entry("invalid", e.req("ERR-INSTANCE-INACTIVE"), checks.StatusInvalid),
		)

		DescribeTable(title("every error answer is JSON with string Code, Message and RequestId", "ERR-ENVELOPE"),
			func(ctx SpecContext, pick func() (pair, *apiclient.Request)) {
				p, r := pick()
				resp := e.add(ctx, e.client, r, p)
				problems := envelopeProblems(resp)
				if resp.Status < 400 {
					problems.add("status %d, want an error", resp.Status)
				}
				problems.check(resp, "an error envelope")
			},
			Entry("unknown destination", e.req("ERR-ENVELOPE"), func() (pair, *apiclient.Request) {
				p := use(e.cases.missingDest())
				return p, apiclient.AddJSON(p.Dest, p.Source)
			}),
			Entry("activating destination", e.req("ERR-ENVELOPE"), func() (pair, *apiclient.Request) {
				p := use(e.cases.destWithStatus("ERR-INSTANCE-ACTIVATING", checks.StatusActivating))
				return p, apiclient.AddJSON(p.Dest, p.Source)
			}),
			Entry("refused by a rule", e.req("ERR-ENVELOPE"), func() (pair, *apiclient.Request) {
				p := use(e.cases.newer("major"))
				return p, apiclient.AddJSON(p.Dest, p.Source)
			}),
			Entry("wrong body", e.req("ERR-ENVELOPE"), func() (pair, *apiclient.Request) {
				p := use(e.cases.compatible())
				r := apiclient.AddJSON(p.Dest, p.Source)
				r.Body = []byte(`{"repoPath":`)
				return p, r
			}),
		)
	})
}
