package suite

import (
	"fmt"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/world"
)

// pair is a (destination, source) pair the suite sends.
type pair struct {
	Dest, Source string
	// Why says what makes the pair fit its case, for spec output.
	Why string
}

// found is a case the world can or cannot exercise.
type found struct {
	pair
	ok bool
	// missing says what to add to the world when !ok.
	missing string
}

// candidate is one ordered pair of the world with the oracle's verdict, as
// the endpoint under test must see it.
type candidate struct {
	dest, src *checks.Instance
	verdict   checks.Verdict
}

// cases are the instances of the world that exercise each requirement,
// chosen with the rules engine as oracle.
type cases struct {
	w        *world.World
	account  string
	region   string
	existing map[[2]string]bool
	// found remembers each finder's answer: specs ask again and again.
	found map[caseKey]found
	// unknown IDs, fresh each run so that no state can match them.
	unknownDest, unknownSource string
}

func newCases(w *world.World, account, region string) *cases {
	c := &cases{w: w, account: account, region: region, existing: map[[2]string]bool{}, found: map[caseKey]found{}}
	for _, r := range w.Repos {
		c.existing[[2]string{r.Instance, r.RepoPath}] = true
	}
	nonce := acs.NewNonce()[:12]
	c.unknownDest = "es-cn-conformnodst" + nonce
	c.unknownSource = "es-cn-conformnosrc" + nonce
	return c
}

// destination is the instance the endpoint must treat as an existing
// destination for the caller: of the caller's account and the endpoint's region.
func (c *cases) destination(id string) *checks.Instance {
	in := c.w.VisibleTo(c.account, id)
	if in == nil || in.Region != c.region {
		return nil
	}
	return in
}

// elsewhere reports whether id is the caller's own instance in another
// region than the endpoint's: it does not exist as a destination there,
// but the reference does not say how that is answered, so any refusal
// passes (InstanceNotFound is conform serve's choice).
func (c *cases) elsewhere(id string) bool {
	in := c.w.VisibleTo(c.account, id)
	return in != nil && in.Region != c.region
}

// expect is the oracle's verdict for any pair as the endpoint sees it.
func (c *cases) expect(destID, srcID string) checks.Verdict {
	return c.w.Policy.Evaluate(destID, c.destination(destID), srcID, c.w.Instance(srcID))
}

// onlyFails reports whether exactly the rule id refuses the pair.
func onlyFails(v *checks.Verdict, id string) bool {
	return v.Failing() == 1 && v.Outcome(checks.RuleIndex(id)) == checks.Fail
}

// caseKey names one finder and its argument: the cache of their answers.
type caseKey struct{ finder, arg string }

// find is the first ordered pair of the world, as the endpoint sees it and
// not already a repository of the world, that pred accepts. Pairs are
// evaluated as the search goes, and each answer is kept by its finder, so a
// large world costs neither memory per pair nor repeated searches. missing
// says what to add to the world when no pair fits.
func (c *cases) find(key caseKey, missing string, pred func(*candidate) bool) found {
	if f, ok := c.found[key]; ok {
		return f
	}
	f := found{missing: "the world cannot exercise this: add " + missing}
search:
	for i := range c.w.Instances {
		d := &c.w.Instances[i]
		if c.destination(d.ID) == nil {
			continue
		}
		for j := range c.w.Instances {
			s := &c.w.Instances[j]
			if c.existing[[2]string{d.ID, s.ID}] {
				continue
			}
			k := candidate{dest: d, src: s, verdict: c.w.Policy.Evaluate(d.ID, d, s.ID, s)}
			if pred(&k) {
				f = found{pair: pair{Dest: d.ID, Source: s.ID,
					Why: fmt.Sprintf("destination %s (%s), source %s (%s)", d.ID, d.Version, s.ID, s.Version)}, ok: true}
				break search
			}
		}
	}
	c.found[key] = f
	return f
}

func compatible(k *candidate) bool { return k.verdict.Decision() == checks.Compatible }

func (c *cases) compatible() found {
	return c.find(caseKey{finder: "compatible"}, fmt.Sprintf("two active instances of account %s in %s, the source no newer than the destination", c.account, c.region),
		func(k *candidate) bool { return compatible(k) && !k.verdict.Warned() })
}

func (c *cases) equalVersion() found {
	return c.find(caseKey{finder: "equalVersion"}, "two instances of one version (e.g. 7.10.0_with_X-Pack and 7.10_with_X-Pack)",
		func(k *candidate) bool { return compatible(k) && k.src.Version.Compare(k.dest.Version) == 0 })
}

// numericallyOlder is a compatible pair whose version strings sort the other
// way: 7.9 into 7.10.
func (c *cases) numericallyOlder() found {
	return c.find(caseKey{finder: "numericallyOlder"}, "a 7.9 source and a 7.10 destination (versions whose strings sort the other way)",
		func(k *candidate) bool {
			return compatible(k) && k.src.Version.Compare(k.dest.Version) < 0 && k.src.Version.Raw > k.dest.Version.Raw
		})
}

func (c *cases) newer(by string) found {
	return c.find(caseKey{"newer", by}, "a source newer than its destination by "+by+" (e.g. 7.10 source, 7.9 destination for minor)",
		func(k *candidate) bool {
			if !onlyFails(&k.verdict, "RULE-VERSION") {
				return false
			}
			s, d := k.src.Version.Number, k.dest.Version.Number
			switch by {
			case "major":
				return s.Major() > d.Major()
			case "minor":
				return s.Major() == d.Major() && s.Minor() > d.Minor()
			}
			return s.Major() == d.Major() && s.Minor() == d.Minor() && s.Patch() > d.Patch()
		})
}

func (c *cases) refusedOnlyBy(rule, missing string) found {
	return c.find(caseKey{"refusedOnlyBy", rule}, missing, func(k *candidate) bool { return onlyFails(&k.verdict, rule) })
}

// kernelAccepted is a 6.7.0 Standard pair the kernel rule lets through:
// bothLatest picks the both-on-the-latest-kernel case, else a later
// destination kernel.
func (c *cases) kernelAccepted(bothLatest bool) found {
	what := "two 6.7.0 Standard instances, the destination on a later kernel"
	if bothLatest {
		what = "two 6.7.0 Standard instances both on the latest kernel (latestKernels)"
	}
	return c.find(caseKey{"kernelAccepted", fmt.Sprint(bothLatest)}, what, func(k *candidate) bool {
		if !compatible(k) || !k.dest.Version.Is(6, 7, 0) || !k.src.Version.Is(6, 7, 0) ||
			k.dest.Edition != checks.EditionStandard || k.src.Edition != checks.EditionStandard {
			return false
		}
		return bothLatest == k.dest.Kernel.Equal(k.src.Kernel)
	})
}

// kernelRefused lists the 6.7.0 pairs refused by the kernel rule alone:
// one with an earlier destination kernel, one with equal kernels short of the latest.
func (c *cases) kernelRefused(equal bool) found {
	what := "two 6.7.0 Standard instances, the destination on an earlier kernel"
	if equal {
		what = "two 6.7.0 Standard instances on the same kernel, older than the latest"
	}
	return c.find(caseKey{"kernelRefused", fmt.Sprint(equal)}, what, func(k *candidate) bool {
		return onlyFails(&k.verdict, "RULE-KERNEL-6.7") && equal == k.dest.Kernel.Equal(k.src.Kernel)
	})
}

// destWithStatus is a destination of the caller in one of statuses, paired
// with a source that is otherwise fine.
func (c *cases) destWithStatus(rule string, statuses ...checks.Status) found {
	return c.find(caseKey{"destWithStatus", fmt.Sprint(rule, statuses)}, fmt.Sprintf("an instance of account %s in %s with status %v", c.account, c.region, statuses),
		func(k *candidate) bool {
			if !onlyFails(&k.verdict, rule) {
				return false
			}
			for _, s := range statuses {
				if k.dest.Status == s {
					return true
				}
			}
			return false
		})
}

// missingDest pairs an unknown destination with a source of the caller.
func (c *cases) missingDest() found {
	ok := c.compatible()
	if !ok.ok {
		return ok
	}
	return found{pair: pair{Dest: c.unknownDest, Source: ok.Source, Why: "a destination ID no world holds"}, ok: true}
}

// missingSource pairs a good destination with an unknown source.
func (c *cases) missingSource() found {
	ok := c.compatible()
	if !ok.ok {
		return ok
	}
	return found{pair: pair{Dest: ok.Dest, Source: c.unknownSource, Why: "a source ID no world holds"}, ok: true}
}

// otherAccountDest is an instance of another account in the endpoint's region.
func (c *cases) otherAccountDest() found {
	ok := c.compatible()
	if !ok.ok {
		return ok
	}
	for i := range c.w.Instances {
		in := &c.w.Instances[i]
		if in.Account != c.account && in.Region == c.region {
			return found{pair: pair{Dest: in.ID, Source: ok.Source, Why: "destination " + in.ID + " of account " + in.Account}, ok: true}
		}
	}
	return found{missing: fmt.Sprintf("the world cannot exercise this: add an instance of another account than %s in %s", c.account, c.region)}
}

// twoSources is a destination of the caller with two distinct sources it may
// reference, neither of them a repository of the world already.
func (c *cases) twoSources() (first, second found) {
	missing := found{missing: fmt.Sprintf("the world cannot exercise this: add a destination of account %s in %s with two sources no newer than it", c.account, c.region)}
	for i := range c.w.Instances {
		d := &c.w.Instances[i]
		if c.destination(d.ID) == nil {
			continue
		}
		var got []found
		for j := range c.w.Instances {
			s := &c.w.Instances[j]
			if c.existing[[2]string{d.ID, s.ID}] {
				continue
			}
			if v := c.w.Policy.Evaluate(d.ID, d, s.ID, s); v.Compatible() {
				got = append(got, found{pair: pair{Dest: d.ID, Source: s.ID,
					Why: fmt.Sprintf("destination %s (%s), source %s (%s)", d.ID, d.Version, s.ID, s.Version)}, ok: true})
				if len(got) == 2 {
					return got[0], got[1]
				}
			}
		}
	}
	return missing, missing
}

// withKernel is an instance of the caller in the endpoint's region whose
// kernel the world gives, for DescribeInstance.
func (c *cases) withKernel() (*checks.Instance, bool) {
	for i := range c.w.Instances {
		if in := c.destination(c.w.Instances[i].ID); in != nil && in.Kernel != nil {
			return in, true
		}
	}
	return nil, false
}
