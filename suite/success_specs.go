package suite

import (
	"fmt"
	"slices"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/checks"
)

func (e *env) successSpecs() {
	Describe("success", func() {
		e.it("OK-CREATED", "a compatible pair gets 200, application/json, Result true and a RequestId", func(ctx SpecContext) {
			p := use(e.cases.compatible())
			By(p.Why)
			expectSuccess(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p))
		})

		e.it("OK-EQUAL-VERSION", "a source of exactly the destination's version is compatible", func(ctx SpecContext) {
			p := use(e.cases.equalVersion())
			By(p.Why)
			expectSuccess(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p))
		})

		e.it("OK-OLDER-VERSION", "an older source is compatible, compared numerically (7.9 < 7.10)", func(ctx SpecContext) {
			p := use(e.cases.numericallyOlder())
			By(p.Why)
			expectSuccess(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p))
		})

		e.it("OK-LISTED", "after success, ListSnapshotReposByInstanceId lists the source", func(ctx SpecContext) {
			e.need(CapList)
			p := use(e.cases.compatible())
			expectSuccess(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p))
			e.expectListed(ctx, p)
		})

		e.it("OK-REPEAT", "adding the same source twice leaves one entry", func(ctx SpecContext) {
			e.need(CapList)
			p := use(e.cases.compatible())
			expectSuccess(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p))
			second := e.send(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source))
			if !accepted(second) {
				expectRefused(second, "")
			}
			e.expectListedOnce(ctx, p.Dest, p.Source, "two identical adds (the second: "+second.Excerpt(120)+")")
		})

		e.it("OK-REQUEST-ID", "every response's RequestId differs from every other's", func(ctx SpecContext) {
			good := use(e.cases.compatible())
			missing := use(e.cases.missingDest())
			requests := []*apiclient.Request{
				apiclient.AddJSON(good.Dest, good.Source), apiclient.AddJSON(good.Dest, good.Source),
				apiclient.AddJSON(missing.Dest, missing.Source), apiclient.AddJSON(missing.Dest, missing.Source),
				apiclient.AddJSON(good.Dest, ""), apiclient.AddJSON(good.Dest, ""),
			}
			if e.cfg.has(CapList) {
				requests = append(requests, apiclient.List(good.Dest), apiclient.List(good.Dest))
			}
			e.cleanup(good)
			seen := map[string]*apiclient.Response{}
			for _, r := range requests {
				resp := e.send(ctx, e.client, r)
				if resp.RequestID == "" {
					fail(fmt.Sprintf("[%s] an answer without RequestId\n%s", ids(), resp))
				}
				if prev, dup := seen[resp.RequestID]; dup {
					fail(fmt.Sprintf("[%s] RequestId %q answered twice\nfirst %s\nthen %s", ids(), resp.RequestID, prev, resp))
				}
				seen[resp.RequestID] = resp
			}
		})

		e.it("OK-ALTERNATIVES", "ListAlternativeSnapshotRepos leaves out a referenced source unless alreadySetItems is true", func(ctx SpecContext) {
			e.need(CapAlternatives)
			p := use(e.cases.compatible())
			expectSuccess(e.add(ctx, e.client, apiclient.AddJSON(p.Dest, p.Source), p))
			// Without the parameter, the SDK models' default: true.
			for _, query := range []struct {
				name       string
				alreadySet bool
				request    func(string) *apiclient.Request
			}{
				{"alreadySetItems=false", false, func(d string) *apiclient.Request { return apiclient.Alternatives(d, false) }},
				{"alreadySetItems=true", true, func(d string) *apiclient.Request { return apiclient.Alternatives(d, true) }},
				{fmt.Sprintf("no alreadySetItems (default %v)", apiclient.AlreadySetItemsDefault()), apiclient.AlreadySetItemsDefault(), apiclient.AlternativesByDefault},
			} {
				alreadySet := query.alreadySet
				var last *apiclient.Response
				why := e.poll(ctx, "ListAlternativeSnapshotRepos of "+p.Dest, "the add with "+query.name, func() string {
					last = e.send(ctx, e.client, query.request(p.Dest))
					offered, err := last.Repos()
					if last.Status != 200 || err != nil {
						fail(fmt.Sprintf("[%s] expected ListAlternativeSnapshotRepos to answer 200 with a list (%v)\n%s", ids(), err, last))
					}
					if has := slices.ContainsFunc(offered, func(r apiclient.Repo) bool { return r.RepoPath == p.Source }); has != alreadySet {
						return fmt.Sprintf("%s, which %s references, is offered: %v", p.Source, p.Dest, has)
					}
					return ""
				})
				if why != "" {
					fail(fmt.Sprintf("[%s] with %s, %s (want offered: %v)\n%s", ids(), query.name, why, alreadySet, last))
				}
			}
		})

		// What ListAlternativeSnapshotRepos offers must be accepted; what it
		// leaves out must be refused, unless the rules accept it on an
		// outcome the documentation leaves open (a source that is not
		// active): an implementation may offer only what it surely accepts.
		e.it("OK-ALTERNATIVES", "every repository ListAlternativeSnapshotRepos offers is accepted, and every source the rules surely accept is offered", func(ctx SpecContext) {
			e.need(CapAlternatives)
			p := use(e.cases.compatible())
			resp := e.send(ctx, e.client, apiclient.Alternatives(p.Dest, false))
			offered, err := resp.Repos()
			if resp.Status != 200 || err != nil {
				fail(fmt.Sprintf("[%s] expected ListAlternativeSnapshotRepos to answer 200 with a list (%v)\n%s", ids(), err, resp))
			}
			isOffered := map[string]bool{}
			for _, r := range offered {
				isOffered[r.RepoPath] = true
				q := pair{Dest: p.Dest, Source: r.RepoPath, Why: "offered by ListAlternativeSnapshotRepos"}
				if got := e.add(ctx, e.client, apiclient.AddJSON(q.Dest, q.Source), q); !accepted(got) {
					fail(fmt.Sprintf("[%s] %s is offered as an alternative for %s but AddSnapshotRepo refuses it\n%s", ids(), r.RepoPath, p.Dest, got))
				}
			}
			var missing []string
			for i := range e.cfg.World.Instances {
				src := &e.cfg.World.Instances[i]
				if isOffered[src.ID] || e.cases.existing[[2]string{p.Dest, src.ID}] || e.isDirty(p.Dest, src.ID) {
					continue
				}
				if v := e.cases.expect(p.Dest, src.ID); v.Decision() == checks.Compatible && !sourceStatusOpen(&v) {
					missing = append(missing, src.ID)
				}
			}
			if len(missing) > 0 {
				fail(fmt.Sprintf("[%s] ListAlternativeSnapshotRepos of %s leaves out %s, which the rules accept (and AddSnapshotRepo must)\n%s", ids(), p.Dest, joinOrNone(missing), resp))
			}
		})

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
	})
}
