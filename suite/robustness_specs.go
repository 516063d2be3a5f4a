package suite

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
)

func (e *env) robustnessSpecs() {
	Describe("robustness", func() {
		path := func(id string) func(r *apiclient.Request) {
			return func(r *apiclient.Request) { r.Path = "/openapi/instances/" + id + "/snapshot-repos" }
		}
		// Odd input is an open outcome: the API reference does not say how
		// strict a parser must be, so success (a lenient server) and a 4xx
		// envelope both pass; a 5xx, a dropped connection or a hang fail, and
		// so does an endpoint that stops serving afterwards.
		e.table("ROB-NO-5XX", "hostile input gets an answer, never a 5xx or a dropped connection",
			func(ctx SpecContext, edit func(r *apiclient.Request)) {
				p := use(e.cases.compatible())
				r := apiclient.AddJSON(p.Dest, p.Source)
				edit(r)
				resp := e.add(ctx, e.client, r, p)
				if !accepted(resp) {
					expectRefused(resp, "")
				}
				after := e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p)
				if len(answeredProblems(after)) > 0 {
					fail(fmt.Sprintf("[%s] the endpoint stopped serving after hostile input: a good add then got\n%s", ids(), after))
				}
			},
			Entry("Content-Type text/plain", func(r *apiclient.Request) { r.ContentType = "text/plain" }),
			Entry("Content-Type application/xml", func(r *apiclient.Request) {
				r.ContentType, r.Body = "application/xml", []byte("<repoPath>x</repoPath>")
			}),
			Entry("Content-Type multipart/form-data without a boundary", func(r *apiclient.Request) { r.ContentType = "multipart/form-data" }),
			Entry("a malformed Content-Type", func(r *apiclient.Request) { r.ContentType = "application/json; ;;=" }),
			Entry("instance ID ..", path("..")),
			Entry("instance ID with %2F", path("es-cn%2F..%2Fx")),
			Entry("instance ID with NUL", path("es-cn%00x")),
			Entry("instance ID of 4 KiB", path(strings.Repeat("a", 4096))),
			Entry("instance ID not UTF-8", path("es-%FF%FE")),
			Entry("repoPath not UTF-8", func(r *apiclient.Request) { r.Body = []byte("{\"repoPath\":\"es-\xff\xfe\"}") }),
			Entry("repoPath of 4 KiB", func(r *apiclient.Request) { r.Body = apiclient.RepoBody(strings.Repeat("b", 4096)) }),
			Entry("deeply nested JSON", func(r *apiclient.Request) {
				r.Body = []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000))
			}),
		)

		e.it("ROB-NO-5XX", "every operation answers hostile IDs and repoPaths, an empty clientToken included, without a 5xx, a dropped connection or a hang", func(ctx SpecContext) {
			p := use(e.cases.compatible())
			if e.cfg.DryRun {
				planned()
			}
			type probe struct {
				name string
				req  *apiclient.Request
			}
			var probes []probe
			for _, in := range hostileInputs {
				probes = append(probes,
					probe{"AddSnapshotRepo to a destination holding " + in.name, apiclient.AddJSON(in.value, p.Source)},
					probe{"AddSnapshotRepo (form body) to a destination holding " + in.name, apiclient.AddClassic(in.value, p.Source)},
					probe{"AddSnapshotRepo of a repoPath holding " + in.name, apiclient.AddJSON(p.Dest, in.value)},
					probe{"AddSnapshotRepo (form body) of a repoPath holding " + in.name, apiclient.AddClassic(p.Dest, in.value)},
				)
				if e.cfg.has(CapList) {
					probes = append(probes, probe{"ListSnapshotReposByInstanceId of " + in.name, apiclient.List(in.value)})
				}
				if e.cfg.has(CapDelete) {
					probes = append(probes, probe{"DeleteSnapshotRepo from " + in.name, apiclient.Delete(in.value, p.Source)},
						probe{"DeleteSnapshotRepo of a repoPath holding " + in.name, apiclient.Delete(p.Dest, in.value)})
				}
				if e.cfg.has(CapDescribe) {
					probes = append(probes, probe{"DescribeInstance of " + in.name, apiclient.Describe(in.value)})
				}
				if e.cfg.has(CapAlternatives) {
					probes = append(probes, probe{"ListAlternativeSnapshotRepos of " + in.name, apiclient.Alternatives(in.value, true)})
				}
			}
			if e.cfg.has(CapDelete) {
				empty := apiclient.Delete(p.Dest, p.Source)
				empty.Query.Set("clientToken", "")
				probes = append(probes, probe{"DeleteSnapshotRepo with an empty clientToken", empty})
			}
			if e.cfg.has(CapDescribe) {
				probes = append(probes, probe{"DescribeInstance of an unknown instance", apiclient.Describe(e.cases.unknownDest)})
			}
			// Query values that are no numbers or booleans, or out of any range.
			if e.cfg.has(CapAlternatives) {
				for _, v := range []string{"maybe", "", "TRUE"} {
					r := apiclient.Alternatives(p.Dest, true)
					r.Query.Set("alreadySetItems", v)
					probes = append(probes, probe{fmt.Sprintf("ListAlternativeSnapshotRepos with alreadySetItems=%q", v), r})
				}
			}
			if e.cfg.has(CapInstances) {
				for _, q := range [][2]string{{"0", "0"}, {"1", "0"}, {"-1", "10"}, {"1", "101"}, {"abc", "10"}, {"1", "99999999999999999999"}, {"", ""}} {
					r := apiclient.Instances(1, 10)
					r.Query.Set("page", q[0])
					r.Query.Set("size", q[1])
					probes = append(probes, probe{fmt.Sprintf("ListInstance with page=%q size=%q", q[0], q[1]), r})
				}
			}
			e.cleanup(p)
			var failures []string
			for _, pr := range probes {
				resp, err := e.client.Do(ctx, pr.req)
				switch {
				case err != nil:
					failures = append(failures, fmt.Sprintf("%s: no answer: %v", pr.name, err))
				case resp.Status >= 500:
					failures = append(failures, fmt.Sprintf("%s: %d %s", pr.name, resp.Status, resp.Code))
				}
			}
			if len(failures) > 0 {
				fail(fmt.Sprintf("[%s] %d of %d requests got a 5xx or no answer:\n  %s", ids(), len(failures), len(probes), strings.Join(failures, "\n  ")))
			}
		})

		// The reference states no body limit: a 10 MiB add that is otherwise
		// well formed may be refused as too large, or served.
		e.it("ROB-BODY-LIMIT", "a 10 MiB body gets success with its effect, or a refusal that creates nothing; never a 5xx or a hang", func(ctx SpecContext) {
			p := use(e.cases.compatible())
			r := apiclient.AddJSON(p.Dest, p.Source)
			r.Body = append([]byte(`{"repoPath":"`+p.Source+`","padding":"`), bytes.Repeat([]byte("x"), 10<<20)...)
			r.Body = append(r.Body, `"}`...)
			resp := e.add(ctx, e.client, r, p)
			if accepted(resp) {
				if e.cfg.has(CapList) {
					e.expectListed(ctx, p)
				}
				return
			}
			expectRefused(resp, "")
			e.expectNothingCreated(ctx, p, resp)
		})

		e.it("ROB-CONCURRENT", "random adds, deletes and lists from clients on their own connections, at once, are linearizable against the model", e.checkLinearizable)

		e.it("ROB-CONCURRENT", "32 concurrent identical adds leave exactly one entry", func(ctx SpecContext) {
			e.need(CapList)
			p := use(e.cases.compatible())
			e.cleanup(p)
			var wg sync.WaitGroup
			answers := make([]*apiclient.Response, 32)
			errs := make([]error, 32)
			for i := range answers {
				wg.Go(func() { answers[i], errs[i] = e.client.Do(ctx, apiclient.AddJSON(p.Dest, p.Source)) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					e.noAnswer(fmt.Errorf("concurrent add %d: %w", i, err), apiclient.AddJSON(p.Dest, p.Source))
				}
				if why := answeredProblems(answers[i]); len(why) > 0 {
					fail(fmt.Sprintf("[%s] concurrent add %d: want %s: %s\n%s", ids(), i, wantAnswered, strings.Join(why, "; "), answers[i]))
				}
			}
			e.expectListedOnce(ctx, p.Dest, p.Source, "32 concurrent identical adds")
		})
	})
}
