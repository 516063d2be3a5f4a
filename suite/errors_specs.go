package suite

import (
	. "github.com/onsi/ginkgo/v2"
	"net/http"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/apierror"
	"github.com/snaprepo/conform/checks"
)

func (e *env) errorSpecs() {
	Describe("errors", func() {
		e.it("ERR-INSTANCE-NOT-FOUND", "an unknown destination gets 400 InstanceNotFound", func(ctx SpecContext) {
			p := use(e.cases.missingDest())
			nf := apierror.InstanceNotFound
			expectError(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p), nf.Status, nf.Code, nf.Message)
		})

		// DeleteSnapshotRepo's reference documents the same two errors.
		e.it("ERR-INSTANCE-NOT-FOUND", "DeleteSnapshotRepo of an unknown destination gets 400 InstanceNotFound", func(ctx SpecContext) {
			e.need(CapDelete)
			p := use(e.cases.missingDest())
			nf := apierror.InstanceNotFound
			expectError(e.send(ctx, e.client, apiclient.Delete(p.Dest, p.Source)), nf.Status, nf.Code, nf.Message)
		})

		e.it("ERR-INSTANCE-ACTIVATING", "an activating destination gets 400 InstanceActivating", func(ctx SpecContext) {
			p := use(e.cases.destWithStatus("ERR-INSTANCE-ACTIVATING", checks.StatusActivating))
			By(p.Why)
			ia := apierror.InstanceActivating
			expectError(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p), ia.Status, ia.Code, ia.Message)
		})

		e.it("ERR-INSTANCE-ACTIVATING", "DeleteSnapshotRepo of an activating destination gets 400 InstanceActivating", func(ctx SpecContext) {
			e.need(CapDelete)
			p := use(e.cases.destWithStatus("ERR-INSTANCE-ACTIVATING", checks.StatusActivating))
			By(p.Why)
			ia := apierror.InstanceActivating
			expectError(e.send(ctx, e.client, apiclient.Delete(p.Dest, p.Source)), ia.Status, ia.Code, ia.Message)
		})

		e.table("ERR-INSTANCE-INACTIVE", "an inactive or invalid destination is refused and nothing is created",
			func(ctx SpecContext, status checks.Status) {
				p := use(e.cases.destWithStatus("ERR-INSTANCE-INACTIVE", status))
				By(p.Why)
				resp := e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p)
				expectRefused(resp, "")
				e.expectNothingCreated(ctx, p, resp)
			},
			Entry("inactive", checks.StatusInactive),
			Entry("invalid", checks.StatusInvalid),
		)

		e.table("ERR-ENVELOPE", "every error answer is JSON with string Code, Message and RequestId",
			func(ctx SpecContext, pick func() (pair, *apiclient.Request), undocumented bool) {
				p, r := pick()
				resp := e.add(ctx, e.client, r, p)
				if undocumented && declined(resp) {
					// The reference's other way to refuse: not an error answer.
					return
				}
				problems := envelopeProblems(resp)
				if resp.Status < 400 {
					problems.add("status %d, want an error", resp.Status)
				}
				problems.check(resp, "an error envelope")
			},
			Entry("unknown destination", func() (pair, *apiclient.Request) {
				p := use(e.cases.missingDest())
				return p, apiclient.AddJSON(p.Dest, p.Source)
			}, false),
			Entry("activating destination", func() (pair, *apiclient.Request) {
				p := use(e.cases.destWithStatus("ERR-INSTANCE-ACTIVATING", checks.StatusActivating))
				return p, apiclient.AddJSON(p.Dest, p.Source)
			}, false),
			Entry("refused by a rule (200 with Result false is no error answer, and passes)", func() (pair, *apiclient.Request) {
				p := use(e.cases.newer("major"))
				return p, apiclient.AddJSON(p.Dest, p.Source)
			}, true),
			Entry("wrong body", func() (pair, *apiclient.Request) {
				p := use(e.cases.compatible())
				r := apiclient.AddJSON(p.Dest, p.Source)
				r.Body = []byte(`{"repoPath":`)
				return p, r
			}, false),
		)

		// HTTP has 404 and 405 for these, a gateway may answer 400 for an
		// action it does not know: any 4xx with an envelope passes.
		e.table("ERR-UNKNOWN-PATH", "an unknown path or method gets a 4xx with an envelope",
			func(ctx SpecContext, r func(dest string) *apiclient.Request) {
				p := use(e.cases.compatible())
				resp := e.send(ctx, e.client, r(p.Dest))
				problems := envelopeProblems(resp)
				if resp.Status < 400 || resp.Status > 499 {
					problems.add("status %d, want 4xx (404 or 405, as HTTP has it)", resp.Status)
				}
				problems.check(resp, "a 4xx and an error envelope")
			},
			Entry("an unknown path", func(string) *apiclient.Request {
				return &apiclient.Request{Method: http.MethodGet, Path: "/openapi/conform-no-such-operation"}
			}),
			Entry("an unknown operation of an instance", func(dest string) *apiclient.Request {
				return &apiclient.Request{Method: http.MethodGet, Path: apiclient.InstancePath(dest, "conform-no-such-operation")}
			}),
			Entry("an unknown method on snapshot-repos", func(dest string) *apiclient.Request {
				return &apiclient.Request{Method: http.MethodPatch, Path: apiclient.InstancePath(dest, "snapshot-repos")}
			}),
		)
	})
}
