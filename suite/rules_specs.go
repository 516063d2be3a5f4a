package suite

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
)

func (e *env) ruleSpecs() {
	Describe("rules", func() {
		refuse := func(ctx SpecContext, p pair) {
			GinkgoHelper()
			By(p.Why)
			expectRefused(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p), "")
		}

		It(title("a source in another region is refused", "RULE-SAME-REGION"), e.req("RULE-SAME-REGION"), func(ctx SpecContext) {
			refuse(ctx, use(e.cases.refusedOnlyBy("RULE-SAME-REGION", "an instance of the caller's account in another region, no newer than a destination")))
		})

		It(title("a source of another account is refused", "RULE-SAME-ACCOUNT"), e.req("RULE-SAME-ACCOUNT"), func(ctx SpecContext) {
			refuse(ctx, use(e.cases.refusedOnlyBy("RULE-SAME-ACCOUNT", "an instance of another account in the endpoint's region, no newer than a destination")))
		})

		DescribeTable(title("a source newer than the destination is refused", "RULE-VERSION"),
			func(ctx SpecContext, by string) { refuse(ctx, use(e.cases.newer(by))) },
			Entry("by major", e.req("RULE-VERSION"), "major"),
			Entry("by minor (7.10 source, 7.9 destination)", e.req("RULE-VERSION"), "minor"),
			Entry("by patch", e.req("RULE-VERSION"), "patch"),
		)

		DescribeTable(title("both 6.7.0 Standard: the destination kernel must be later, or both the latest", "RULE-KERNEL-6.7"),
			func(ctx SpecContext, pick func() found, accepted bool) {
				p := use(pick())
				By(p.Why)
				resp := e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p)
				if accepted {
					expectSuccess(resp)
				} else {
					expectRefused(resp, "")
				}
			},
			Entry("destination kernel earlier: refused", e.req("RULE-KERNEL-6.7"), func() found { return e.cases.kernelRefused(false) }, false),
			Entry("equal kernels short of the latest: refused", e.req("RULE-KERNEL-6.7"), func() found { return e.cases.kernelRefused(true) }, false),
			Entry("destination kernel later: accepted", e.req("RULE-KERNEL-6.7"), func() found { return e.cases.kernelAccepted(false) }, true),
			Entry("both on the latest kernel: accepted", e.req("RULE-KERNEL-6.7"), func() found { return e.cases.kernelAccepted(true) }, true),
		)

		It(title("a source equal to the destination is refused", "RULE-DISTINCT"), e.req("RULE-DISTINCT"), func(ctx SpecContext) {
			refuse(ctx, use(e.cases.refusedOnlyBy("RULE-DISTINCT", "an active instance that could otherwise take a repository")))
		})

		It(title("a source that does not exist is refused", "RULE-SOURCE-EXISTS"), e.req("RULE-SOURCE-EXISTS"), func(ctx SpecContext) {
			refuse(ctx, use(e.cases.missingSource()))
		})

		DescribeTable(title("no refused request leaves a repository behind", "RULE-NO-SIDE-EFFECT"),
			func(ctx SpecContext, pick func() found) {
				e.need(CapList)
				p := use(pick())
				By(p.Why)
				resp := e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p)
				if resp.Status == 200 {
					Skip("the implementation accepted this pair; the rule's own requirement reports that")
				}
				e.expectNothingCreated(ctx, p)
			},
			Entry("newer source", e.req("RULE-NO-SIDE-EFFECT"), func() found { return e.cases.newer("major") }),
			Entry("another region", e.req("RULE-NO-SIDE-EFFECT"), func() found { return e.cases.refusedOnlyBy("RULE-SAME-REGION", "an instance in another region") }),
			Entry("another account", e.req("RULE-NO-SIDE-EFFECT"), func() found { return e.cases.refusedOnlyBy("RULE-SAME-ACCOUNT", "an instance of another account") }),
			Entry("6.7.0 kernel", e.req("RULE-NO-SIDE-EFFECT"), func() found { return e.cases.kernelRefused(false) }),
			Entry("itself", e.req("RULE-NO-SIDE-EFFECT"), func() found { return e.cases.refusedOnlyBy("RULE-DISTINCT", "an active instance") }),
			Entry("activating destination", e.req("RULE-NO-SIDE-EFFECT"), func() found {
				return e.cases.refusedOnlyBy("ERR-INSTANCE-ACTIVATING", "an activating instance")
			}),
		)
	})
}
