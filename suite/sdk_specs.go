package suite

import (
	"errors"
	"fmt"
	"net/url"

	. "github.com/onsi/ginkgo/v2"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/elasticsearch"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/apierror"
	"github.com/snaprepo/conform/checks"
)

// classicAdd calls AddSnapshotRepo through the real alibaba-cloud-sdk-go.
func (e *env) classicAdd(p pair) (*elasticsearch.AddSnapshotRepoResponse, error) {
	GinkgoHelper()
	e.ready()
	if e.cfg.DryRun {
		planned()
	}
	u, err := url.Parse(e.cfg.Endpoint)
	if err != nil {
		fail(fmt.Sprintf("endpoint %q: %v", e.cfg.Endpoint, err))
	}
	c := e.cfg.Credentials
	var cred auth.Credential
	if c.SecurityToken != "" {
		cred = credentials.NewStsTokenCredential(c.AccessKeyID, c.AccessKeySecret, c.SecurityToken)
	} else {
		cred = credentials.NewAccessKeyCredential(c.AccessKeyID, c.AccessKeySecret)
	}
	client, err := elasticsearch.NewClientWithOptions(e.cfg.Region, sdk.NewConfig().WithAutoRetry(false).WithTimeout(e.cfg.Timeout), cred)
	if err != nil {
		fail(fmt.Sprintf("creating the classic SDK client: %v", err))
	}
	// The SDK reads whatever it is sent: cap it as the suite's own client is.
	client.SetTransport(apiclient.NewTransport(e.cfg.Timeout))
	e.cleanup(p)
	req := elasticsearch.CreateAddSnapshotRepoRequest()
	req.Scheme = u.Scheme
	req.Domain = u.Hostname() // the port goes in Port, never inside Domain
	req.Port = u.Port()
	if req.Port == "" {
		req.Port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	req.InstanceId = p.Dest
	req.Body = `{"repoPath":"` + p.Source + `"}`
	return client.AddSnapshotRepo(req)
}

func (e *env) sdkSpecs() {
	Describe("sdk", func() {
		e.it("SDK-CLASSIC", "the classic Go SDK gets Result true for a compatible pair", func() {
			p := use(e.cases.compatible())
			resp, err := e.classicAdd(p)
			if err != nil || !resp.Result || resp.RequestId == "" {
				fail(fmt.Sprintf("[%s] expected Result true and a RequestId from alibaba-cloud-sdk-go's AddSnapshotRepo(%s ← %s); got %+v, error %v", ids(), p.Dest, p.Source, resp, err))
			}
		})

		e.table("SDK-CLASSIC", "the classic Go SDK gets a ServerError with the documented ErrorCode()",
			func(pick func() found, want apierror.Error) {
				p := use(pick())
				_, err := e.classicAdd(p)
				var se *sdkerrors.ServerError
				if !errors.As(err, &se) {
					fail(fmt.Sprintf("[%s] expected a ServerError %s from alibaba-cloud-sdk-go for %s; got %T: %v", ids(), want.Code, p.Why, err, err))
				}
				if se.ErrorCode() != want.Code || se.HttpStatus() != want.Status || se.Message() != want.Message {
					fail(fmt.Sprintf("[%s] expected ServerError %d %s %q; got %d %s %q", ids(), want.Status, want.Code, want.Message, se.HttpStatus(), se.ErrorCode(), se.Message()))
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
		// asks only that both dialects get the same one.
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
					fail(fmt.Sprintf("[%s] a request with an empty query value is answered differently as %s writes it (clientToken=) than as the Go SDKs do (clientToken)\nNode: %s\nGo: %s",
						ids(), apiclient.Dialects()[sig], got, twin))
				}
			},
			Entry("@alicloud/elasticsearch20170613, ACS3-HMAC-SHA256", apiclient.SignNodeV3),
			Entry("@alicloud/elasticsearch20170613, ROA 1.0", apiclient.SignNodeV2),
			Entry("@alicloud/pop-core ROAClient, ROA 1.0", apiclient.SignPopCore),
		)
	})
}
