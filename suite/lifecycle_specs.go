package suite

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/checks"
)

// lifecycleSpecs: what the companion operations must do beyond answering —
// a delete removes exactly what it names, DescribeInstance tells the truth,
// and what is not an operation says so.
func (e *env) lifecycleSpecs() {
	Describe("lifecycle", func() {
		e.it("OK-DELETED", "a delete removes exactly the repository it names, and the pair can be added again", func(ctx SpecContext) {
			e.need(CapDelete, CapList)
			first, second := e.cases.twoSources()
			a, b := use(first), use(second)
			By(a.Why + "; " + b.Why)
			expectSuccess(e.add(ctx, e.client, apiclient.AddJSON(a.Dest, a.Source), a))
			expectSuccess(e.add(ctx, e.client, apiclient.AddJSON(b.Dest, b.Source), b))
			expectSuccess(e.send(ctx, e.client, apiclient.Delete(a.Dest, a.Source)))
			_, why := e.settled(ctx, a.Dest, a.Source+" gone and "+b.Source+" kept", func(after []string) string {
				if slices.Contains(after, a.Source) || !slices.Contains(after, b.Source) {
					return "the list is " + joinOrNone(after)
				}
				return ""
			})
			if why != "" {
				fail(fmt.Sprintf("[%s] after deleting %s from %s, want %s gone and %s kept: %s", ids(), a.Source, a.Dest, a.Source, b.Source, why))
			}
			expectSuccess(e.send(ctx, e.client, apiclient.AddJSON(a.Dest, a.Source)))
			expectSuccess(e.send(ctx, e.client, apiclient.Delete(a.Dest, a.Source)))
			// Deleting what is gone: success (idempotent) or a 4xx envelope —
			// the platform's choice is not documented — never a 5xx, and
			// never the repository back.
			again := e.send(ctx, e.client, apiclient.Delete(a.Dest, a.Source))
			if !accepted(again) {
				expectRefused(again, "")
			}
			if _, why := e.settled(ctx, a.Dest, a.Source+" gone", func(after []string) string {
				if slices.Contains(after, a.Source) {
					return "it lists it"
				}
				return ""
			}); why != "" {
				fail(fmt.Sprintf("[%s] after deleting %s twice, %s lists it again: %s\nsecond delete: %s", ids(), a.Source, a.Dest, why, again))
			}
		})

		e.it("OK-DESCRIBE", "DescribeInstance reports the world's facts for the caller's instances", func(ctx SpecContext) {
			e.need(CapDescribe)
			p := use(e.cases.compatible())
			instances := []*checks.Instance{e.cfg.World.Instance(p.Dest)}
			if k, ok := e.cases.withKernel(); ok {
				instances = append(instances, k)
			}
			for _, in := range instances {
				e.expectDescribed(ctx, in)
			}
		})

		e.table("ERR-UNKNOWN-PATH", "an unknown path or method gets 404 or 405 with an envelope",
			func(ctx SpecContext, r func(dest string) *apiclient.Request) {
				p := use(e.cases.compatible())
				resp := e.send(ctx, e.client, r(p.Dest))
				problems := envelopeProblems(resp)
				if resp.Status != http.StatusNotFound && resp.Status != http.StatusMethodNotAllowed {
					problems.add("status %d, want 404 or 405", resp.Status)
				}
				problems.check(resp, "404 or 405 and an error envelope")
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

// expectDescribed wants DescribeInstance of in to report its version (the
// exact esVersion string of the world), status, edition and, where the world
// and the answer give one, kernel.
func (e *env) expectDescribed(ctx SpecContext, in *checks.Instance) {
	GinkgoHelper()
	resp := e.send(ctx, e.client, apiclient.Describe(in.ID))
	var p problems
	var got struct {
		InstanceID       string `json:"instanceId"`
		EsVersion        string `json:"esVersion"`
		Status           string `json:"status"`
		InstanceCategory string `json:"instanceCategory"`
		ExtendConfigs    []struct {
			ConfigType string `json:"configType"`
			AliVersion string `json:"aliVersion"`
		} `json:"extendConfigs"`
	}
	if resp.Status != 200 {
		p.add("status %d, want 200", resp.Status)
	}
	if err := json.Unmarshal(resp.Result, &got); err != nil {
		p.add("Result is not an instance: %v", err)
	}
	if got.InstanceID != in.ID {
		p.add("instanceId %q, want %q", got.InstanceID, in.ID)
	}
	if got.EsVersion != in.Version.Raw {
		p.add("esVersion %q, want %q (as the world gives it)", got.EsVersion, in.Version.Raw)
	}
	if got.Status != string(in.Status) {
		p.add("status %q, want %q", got.Status, in.Status)
	}
	if got.InstanceCategory != "" {
		if ed, err := checks.ParseEdition(got.InstanceCategory); err != nil || ed != in.Edition {
			p.add("instanceCategory %q is not edition %s", got.InstanceCategory, in.Edition)
		}
	}
	for _, c := range got.ExtendConfigs {
		if c.AliVersion == "" || in.Kernel == nil {
			continue
		}
		if k, err := checks.ParseKernel(c.AliVersion); err != nil || !k.Equal(in.Kernel) {
			p.add("extendConfigs aliVersion %q, want kernel %s", c.AliVersion, in.Kernel.Original())
		}
	}
	p.check(resp, "DescribeInstance of "+in.ID+" to report the world's facts")
}
