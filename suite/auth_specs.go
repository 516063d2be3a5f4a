package suite

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/apierror"
)

func (e *env) authSpecs() {
	Describe("auth", func() {
		BeforeEach(func() { e.need(CapAuth) })

		e.it("AUTH-REQUIRED", "a request with no signature is refused and creates nothing", func(ctx SpecContext) {
			p := use(e.cases.compatible())
			resp := e.add(ctx, e.client.With(*e.cfg.Credentials, apiclient.Unsigned), apiclient.AddJSON(p.Dest, p.Source), p)
			expectRefused(resp, "")
			e.expectNothingCreated(ctx, p, resp)
		})

		// The gateway answers SignatureDoesNotMatch and
		// InvalidAccessKeyId.NotFound (conform serve does too), but no code is
		// documented for these operations: any refusal that creates nothing
		// passes.
		e.table("AUTH-BAD-SIGNATURE", "a request signed with the wrong secret is refused and creates nothing",
			func(ctx SpecContext, sig apiclient.Signature) {
				p := use(e.cases.compatible())
				wrong := *e.cfg.Credentials
				wrong.AccessKeySecret += "-wrong"
				resp := e.add(ctx, e.client.With(wrong, sig), apiclient.AddJSON(p.Dest, p.Source), p)
				expectRefused(resp, "")
				e.expectNothingCreated(ctx, p, resp)
			},
			Entry("ACS3-HMAC-SHA256", apiclient.SignV3),
			Entry("ROA 1.0", apiclient.SignV1),
		)

		e.it("AUTH-BAD-SIGNATURE", "every change the signature scheme covers, made to a valid signed request, is refused and creates nothing", func(ctx SpecContext) {
			p := use(e.cases.compatible())
			creds := *e.cfg.Credentials
			var failures []string
			for _, a := range signatureAttacks(creds, e.otherKeys(creds), e.probe) {
				r := apiclient.AddJSON(p.Dest, p.Source)
				body := r.Body
				r.Edit = func(h *http.Request) { a.edit(h, body) }
				resp := e.add(ctx, e.client.With(creds, a.sig), r, p)
				if probs := refusedProblems(resp, ""); len(probs) > 0 {
					failures = append(failures, fmt.Sprintf("%s: %s (status %d %s)", a.name, strings.Join(probs, "; "), resp.Status, orCode(resp)))
					continue
				}
				e.expectNothingCreated(ctx, p, resp)
			}
			if len(failures) > 0 {
				fail(fmt.Sprintf("[%s] %d changes to a signed request were not refused:\n  %s", ids(), len(failures), strings.Join(failures, "\n  ")))
			}
		})

		e.it("AUTH-REPLAY", "a nonce is still refused after 1,000 other signed requests", func(ctx SpecContext) {
			e.replayAfter(ctx, func(c *apiclient.Client, dest string) { e.flood(ctx, c, dest, 1000) })
		})
		if e.cfg.Thorough {
			for _, wait := range []time.Duration{61 * time.Second, 5 * time.Minute} {
				e.it("AUTH-REPLAY", fmt.Sprintf("a nonce is still refused %s later (thorough runs only)", wait), func(ctx SpecContext) {
					e.replayAfter(ctx, func(*apiclient.Client, string) {
						select {
						case <-time.After(wait):
						case <-ctx.Done():
						}
					})
				}, SpecTimeout(wait+time.Minute))
			}
		}

		e.it("AUTH-UNKNOWN-KEY", "an unknown AccessKeyId is refused and creates nothing", func(ctx SpecContext) {
			p := use(e.cases.compatible())
			nobody := acs.Credentials{AccessKeyID: "LTAI5tConformNobody" + acs.NewNonce()[:6], AccessKeySecret: "nobody"}
			resp := e.add(ctx, e.client.With(nobody, e.cfg.Signature), apiclient.AddJSON(p.Dest, p.Source), p)
			expectRefused(resp, "")
			e.expectNothingCreated(ctx, p, resp)
		})

		e.it("AUTH-V1", "ROA signature 1.0 as the classic SDK sends it (form body, Content-MD5, no nonce) is accepted", func(ctx SpecContext) {
			p := use(e.cases.compatible())
			expectSuccess(e.add(ctx, e.client.With(*e.cfg.Credentials, apiclient.SignV1), apiclient.AddForm(p.Dest, p.Source), p))
		})

		e.it("AUTH-V3", "ACS3-HMAC-SHA256 as current SDKs send it is accepted", func(ctx SpecContext) {
			p := use(e.cases.compatible())
			expectSuccess(e.add(ctx, e.client.With(*e.cfg.Credentials, apiclient.SignV3), apiclient.AddJSON(p.Dest, p.Source), p))
		})

		e.it("AUTH-CONTENT-HASH", "an ACS3 body that does not match x-acs-content-sha256 is refused and creates nothing", func(ctx SpecContext) {
			p := use(e.cases.compatible())
			r := apiclient.AddJSON(p.Dest, p.Source)
			signedFor := apiclient.RepoBody(e.cases.unknownSource)
			// Sign for one body, send another: the hash header still names the first.
			r.Edit = func(h *http.Request) {
				h.Header.Set(acs.HeaderContentSHA256, acs.HashHex(signedFor))
				acs.SignV3(h, signedFor, *e.cfg.Credentials, time.Now(), acs.NewNonce())
			}
			resp := e.add(ctx, e.client.With(*e.cfg.Credentials, apiclient.SignV3), r, p)
			expectRefused(resp, "")
			e.expectNothingCreated(ctx, p, resp)
		})

		e.table("AUTH-REPLAY", "a date beyond the window, either way, or a reused nonce is refused",
			func(ctx SpecContext, sig apiclient.Signature, skew time.Duration) {
				p := use(e.cases.compatible())
				c := e.client.With(*e.cfg.Credentials, sig)
				r := apiclient.AddJSON(p.Dest, p.Source)
				if skew != 0 {
					r.At = time.Now().Add(skew)
					resp := e.add(ctx, c, r, p)
					expectRefused(resp, "")
					e.expectNothingCreated(ctx, p, resp)
					return
				}
				r.Nonce = "conform-replay-" + acs.NewNonce()
				first := e.add(ctx, c, r, p)
				if !accepted(first) {
					fail(fmt.Sprintf("[%s] expected the first use of a nonce to succeed\n%s", ids(), first))
				}
				expectRefused(e.send(ctx, c, r), "")
			},
			Entry("date 20 minutes old, ACS3-HMAC-SHA256", apiclient.SignV3, -20*time.Minute),
			Entry("date 20 minutes old, ROA 1.0", apiclient.SignV1, -20*time.Minute),
			Entry("date 20 minutes ahead, ACS3-HMAC-SHA256", apiclient.SignV3, 20*time.Minute),
			Entry("date 20 minutes ahead, ROA 1.0", apiclient.SignV1, 20*time.Minute),
			Entry("nonce used twice, ACS3-HMAC-SHA256", apiclient.SignV3, time.Duration(0)),
			Entry("nonce used twice, ROA 1.0 as darabonba sends it", apiclient.SignDarabonbaV2, time.Duration(0)),
		)

		// Add and delete document InstanceNotFound; reads document no error,
		// so a read of another account's destination must only be answered
		// as a read of one that does not exist (a refusal, or an empty list):
		// an answer that differs tells the caller it exists.
		e.it("AUTH-TENANT", "another account's destination is InstanceNotFound, like one that does not exist", func(ctx SpecContext) {
			theirs := use(e.cases.otherAccountDest())
			missing := use(e.cases.missingDest())
			By(theirs.Why)
			nf := apierror.InstanceNotFound
			got := e.add(ctx, e.client, apiclient.AddJSON(theirs.Dest, theirs.Source), theirs)
			expectError(got, nf.Status, nf.Code, nf.Message)
			ref := e.send(ctx, e.client, apiclient.AddJSON(missing.Dest, missing.Source))
			if diff := indistinguishable(got, ref, []string{theirs.Dest, theirs.Source}, []string{missing.Dest, missing.Source}); diff != "" {
				fail(fmt.Sprintf("[%s] another account's destination is answered unlike a missing one (%s)\ntheirs: %s\nmissing: %s", ids(), diff, got, ref))
			}
			var reads []func(string) *apiclient.Request
			if e.cfg.has(CapDescribe) {
				reads = append(reads, apiclient.Describe)
			}
			if e.cfg.has(CapList) {
				reads = append(reads, apiclient.List)
			}
			if e.cfg.has(CapAlternatives) {
				reads = append(reads, func(id string) *apiclient.Request { return apiclient.Alternatives(id, true) })
			}
			for _, read := range reads {
				r := read(theirs.Dest)
				got := e.send(ctx, e.client, r)
				unseenReadProblems(got, r).check(got, wantUnseenRead)
				ref := e.send(ctx, e.client, read(missing.Dest))
				if diff := indistinguishable(got, ref, []string{theirs.Dest}, []string{missing.Dest}); diff != "" {
					fail(fmt.Sprintf("[%s] %s of another account's destination is answered unlike one of a destination that does not exist (%s): it reveals that it exists\ntheirs: %s\nmissing: %s", ids(), r.Action, diff, got, ref))
				}
			}
			if e.cfg.has(CapDelete) {
				expectError(e.send(ctx, e.client, apiclient.Delete(theirs.Dest, theirs.Source)), nf.Status, nf.Code, nf.Message)
			}
		})

		e.it("AUTH-TENANT", "another account's source is answered exactly like a source that does not exist", func(ctx SpecContext) {
			theirs := use(e.cases.refusedOnlyBy("RULE-SAME-ACCOUNT", "an instance of another account in the endpoint's region, no newer than a destination"))
			missing := pair{Dest: theirs.Dest, Source: e.cases.unknownSource, Why: "a source ID no world holds"}
			By(theirs.Why)
			got := e.add(ctx, e.client, apiclient.AddJSON(theirs.Dest, theirs.Source), theirs)
			ref := e.add(ctx, e.client, apiclient.AddJSON(missing.Dest, missing.Source), missing)
			owner := e.cfg.World.Instance(theirs.Source).Account
			// The two must tell the caller the same; each may echo the IDs
			// it was sent, so those are masked before Messages are compared.
			diff := indistinguishable(got, ref, []string{theirs.Dest, theirs.Source}, []string{missing.Dest, missing.Source})
			switch {
			case diff != "":
				fail(fmt.Sprintf("[%s] another account's source is answered unlike a missing one (%s): it reveals that it exists\ntheirs: %s\nmissing: %s", ids(), diff, got, ref))
			case strings.Contains(string(got.Body), owner):
				fail(fmt.Sprintf("[%s] the answer names the source's account %s\n%s", ids(), owner, got))
			}
			expectRefused(got, "")
			e.expectNothingCreated(ctx, theirs, got)
		})
	})
}
