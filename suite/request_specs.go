package suite

import (
	"net/url"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
)

// requestSpecs: the two wire forms of the body, and bodies that are wrong.
func (e *env) requestSpecs() {
	Describe("request", func() {
		e.it("REQ-JSON-BODY", "a raw JSON body {\"repoPath\": …} is accepted", func(ctx SpecContext) {
			p := use(e.cases.compatible())
			expectSuccess(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p))
		})

		e.it("REQ-FORM-BODY", "a form body body=<JSON>, as the classic Go SDK sends it, is accepted", func(ctx SpecContext) {
			p := use(e.cases.compatible())
			expectSuccess(e.add(ctx, e.client, apiclient.AddForm(p.Dest, p.Source), p))
			if e.cfg.has(CapList) {
				e.expectListed(ctx, p)
			}
		})

		// The gateway answers a missing or malformed parameter with 400
		// (MissingRepoPath, InvalidParameter; conform serve does too), but
		// the reference documents no answer for it: any refusal that
		// creates nothing passes.
		e.table("REQ-BAD-BODY", "a wrong body is refused and creates nothing",
			func(ctx SpecContext, contentType string, body func(source string) string) {
				p := use(e.cases.compatible())
				r := apiclient.AddJSON(p.Dest, p.Source)
				r.ContentType, r.Body = contentType, []byte(body(p.Source))
				resp := e.add(ctx, e.client, r, p)
				expectRefused(resp, "")
				e.expectNothingCreated(ctx, p, resp)
			},
			Entry("no repoPath", "application/json", func(string) string { return `{"path":"es-cn-x"}` }),
			Entry("empty repoPath", "application/json", func(string) string { return `{"repoPath":""}` }),
			Entry("repoPath a number", "application/json", func(string) string { return `{"repoPath":42}` }),
			Entry("repoPath a list", "application/json", func(s string) string { return `{"repoPath":["` + s + `"]}` }),
			Entry("not JSON", "application/json", func(s string) string { return `repoPath=` + s }),
			Entry("truncated JSON", "application/json", func(s string) string { return `{"repoPath":"` + s }),
			Entry("form without the body field", "application/x-www-form-urlencoded", func(s string) string {
				return url.Values{"repoPath": {s}}.Encode()
			}),
			Entry("form whose body is not JSON", "application/x-www-form-urlencoded", func(s string) string {
				return url.Values{"body": {s}}.Encode()
			}),
		)
	})
}
