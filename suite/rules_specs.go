package suite

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
)

// bodyDialects are the two bodies the official SDKs send an add in.
var bodyDialects = []stateDialect{stateDialects[0], stateDialects[1]}

func (e *env) ruleSpecs() {
	Describe("rules", func() {
		// A refusal is sent in both bodies the official SDKs send: a
		// decision that depends on the dialect is a failure.
		refuse := func(ctx SpecContext, p pair) {
			GinkgoHelper()
			By(p.Why)
			for _, d := range bodyDialects {
				By(d.name)
				expectRefused(e.add(ctx, e.client.With(*e.cfg.Credentials, d.sig), d.add(p.Dest, p.Source), p), "")
			}
		}

		e.it("RULE-SAME-REGION", "a source in another region is refused", func(ctx SpecContext) {
			refuse(ctx, use(e.cases.refusedOnlyBy("RULE-SAME-REGION", "an instance of the caller's account in another region, no newer than a destination")))
		})

		e.it("RULE-SAME-ACCOUNT", "a source of another account is refused", func(ctx SpecContext) {
			refuse(ctx, use(e.cases.refusedOnlyBy("RULE-SAME-ACCOUNT", "an instance of another account in the endpoint's region, no newer than a destination")))
		})

		e.table("RULE-VERSION", "a source newer than the destination is refused",
			func(ctx SpecContext, by string) { refuse(ctx, use(e.cases.newer(by))) },
			Entry("by major", "major"),
			Entry("by minor (7.10 source, 7.9 destination)", "minor"),
			Entry("by patch", "patch"),
		)

		e.table("RULE-KERNEL-6.7", "both 6.7.0 Standard: the destination kernel must be later, or both the latest",
			func(ctx SpecContext, pick func() found, accepted bool) {
				p := use(pick())
				if !accepted {
					refuse(ctx, p)
					return
				}
				By(p.Why)
				expectSuccess(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p))
			},
			Entry("destination kernel earlier: refused", func() found { return e.cases.kernelRefused(false) }, false),
			Entry("equal kernels short of the latest: refused", func() found { return e.cases.kernelRefused(true) }, false),
			Entry("destination kernel later: accepted", func() found { return e.cases.kernelAccepted(false) }, true),
			Entry("both on the latest kernel: accepted", func() found { return e.cases.kernelAccepted(true) }, true),
		)

		e.it("RULE-DISTINCT", "a source equal to the destination is refused", func(ctx SpecContext) {
			refuse(ctx, use(e.cases.refusedOnlyBy("RULE-DISTINCT", "an active instance that could otherwise take a repository")))
		})

		e.it("RULE-SOURCE-EXISTS", "a source that does not exist is refused", func(ctx SpecContext) {
			refuse(ctx, use(e.cases.missingSource()))
		})

		e.table("RULE-NO-SIDE-EFFECT", "no refused request leaves a repository behind",
			func(ctx SpecContext, pick func() found) {
				e.need(CapList)
				p := use(pick())
				By(p.Why)
				resp := e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p)
				if accepted(resp) {
					skip("the implementation accepted this pair; the rule's own requirement reports that")
				}
				e.expectNothingCreated(ctx, p, resp)
			},
			Entry("newer source", func() found { return e.cases.newer("major") }),
			Entry("another region", func() found { return e.cases.refusedOnlyBy("RULE-SAME-REGION", "an instance in another region") }),
			Entry("another account", func() found { return e.cases.refusedOnlyBy("RULE-SAME-ACCOUNT", "an instance of another account") }),
			Entry("6.7.0 kernel", func() found { return e.cases.kernelRefused(false) }),
			Entry("itself", func() found { return e.cases.refusedOnlyBy("RULE-DISTINCT", "an active instance") }),
			Entry("activating destination", func() found {
				return e.cases.refusedOnlyBy("ERR-INSTANCE-ACTIVATING", "an activating instance")
			}),
		)
	})
}
