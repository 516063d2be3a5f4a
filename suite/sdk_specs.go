package suite

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/apierror"
	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/internal/terminal"
)

// classicAdd sends AddSnapshotRepo exactly as alibaba-cloud-sdk-go's
// generated client does (server/classic_dialect_test.go proves the bytes
// equal) and reads the answer as that SDK does: the suite tests the classic
// SDK's view without compiling its generated services.
func (e *env) classicAdd(ctx SpecContext, p pair) apiclient.ClassicAnswer {
	GinkgoHelper()
	resp := e.add(ctx, e.client.With(*e.cfg.Credentials, apiclient.SignClassic), apiclient.AddClassic(p.Dest, p.Source), p)
	a := apiclient.ReadClassic(resp)
	if a.Problem != "" {
		fail(fmt.Sprintf("[%s] alibaba-cloud-sdk-go cannot read this answer: %s\n%s", ids(), a.Problem, resp))
	}
	return a
}

func (e *env) sdkSpecs() {
	Describe("sdk", func() {
		e.it("SDK-CLASSIC", "the classic Go SDK gets Result true for a compatible pair", func(ctx SpecContext) {
			p := use(e.cases.compatible())
			a := e.classicAdd(ctx, p)
			if a.ServerError || !a.Result || a.RequestID == "" {
				fail(fmt.Sprintf("[%s] expected alibaba-cloud-sdk-go's AddSnapshotRepo(%s ← %s) to read Result true and a RequestId; it reads %+v", ids(), p.Dest, p.Source, a))
			}
		})

		e.table("SDK-CLASSIC", "the classic Go SDK gets a ServerError with the documented ErrorCode()",
			func(ctx SpecContext, pick func() found, want apierror.Error) {
				p := use(pick())
				a := e.classicAdd(ctx, p)
				if !a.ServerError || a.Code != want.Code || a.Status != want.Status || a.Message != want.Message {
					fail(fmt.Sprintf("[%s] expected alibaba-cloud-sdk-go to read a ServerError %d %s %q for %s; it reads %+v", ids(), want.Status, want.Code, want.Message, p.Why, a))
				}
			},
			Entry("InstanceNotFound", func() found { return e.cases.missingDest() }, apierror.InstanceNotFound),
			Entry("InstanceActivating", func() found {
				return e.cases.destWithStatus("ERR-INSTANCE-ACTIVATING", checks.StatusActivating)
			}, apierror.InstanceActivating),
		)

		// A Node request must be answered as its Go twin is: the dialect is
		// how the request is written, never what it asks. A delete with an
		// empty clientToken is ROA 1.0's empty query value; its answer (a
		// removal of nothing) is the implementation's choice, so the suite
		// asks only that both dialects get the same one. @alicloud/pop-core
		// also writes the query in its caller's order, not sorted.
		e.table("SDK-NODE", "requests as the official Node.js SDKs send them are accepted",
			func(ctx SpecContext, sig apiclient.Signature) {
				p := use(e.cases.compatible())
				node := e.client.With(*e.cfg.Credentials, sig)
				expectSuccess(e.add(ctx, node, apiclient.AddJSON(p.Dest, p.Source), p))
				if !e.cfg.has(CapDelete) {
					return
				}
				q := use(e.cases.missingSource())
				r := apiclient.Delete(q.Dest, q.Source)
				r.Query.Set("clientToken", "")
				twin := e.send(ctx, e.client.With(*e.cfg.Credentials, apiclient.SignV1), r)
				got := e.send(ctx, node, r)
				if got.Status != twin.Status || got.Code != twin.Code {
					fail(fmt.Sprintf("[%s] a delete is answered differently as %s writes it (query %s, an empty value signed as clientToken=) than as the Go SDKs do (query %s, signed as clientToken)\nNode: %s\nGo: %s",
						ids(), apiclient.Dialects()[sig], terminal.Clip(apiclient.QueryAsSent(sig, r.Query), 120), terminal.Clip(apiclient.QueryAsSent(apiclient.SignV1, r.Query), 120), got, twin))
				}
			},
			Entry("@alicloud/elasticsearch20170613, ACS3-HMAC-SHA256", apiclient.SignNodeV3),
			Entry("@alicloud/elasticsearch20170613, ROA 1.0", apiclient.SignNodeV2),
			Entry("@alicloud/pop-core ROAClient, ROA 1.0", apiclient.SignPopCore),
		)
	})
}
