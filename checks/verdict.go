package checks

import (
	"fmt"
	"math/bits"

	"github.com/snaprepo/conform/apierror"
)

// Result is one rule's outcome for a pair.
type Result struct {
	Outcome Outcome
	reason  reason
}

// Decision is the overall answer for a pair.
type Decision uint8

// The decisions: Undecided when no rule refuses but one lacks a fact.
const (
	Compatible Decision = iota
	Refused
	Undecided
)

// String is the decision as reports write it.
func (d Decision) String() string {
	switch d {
	case Compatible:
		return "compatible"
	case Refused:
		return "refused"
	default:
		return "undecided"
	}
}

// ruleSet is a set of rules, bit i for rule i (TestEveryRuleFitsARuleSet
// keeps the rules within its bits).
type ruleSet uint16

// has reports whether rule i is in the set.
func (s ruleSet) has(i int) bool { return s&(1<<i) != 0 }

// first is the lowest rule in the set, -1 when it is empty.
func (s ruleSet) first() int {
	if s == 0 {
		return -1
	}
	return bits.TrailingZeros16(uint16(s))
}

// required is the set of rules that are not advisory.
var required = func() (s ruleSet) {
	for i := range rules {
		if !rules[i].Advisory {
			s |= 1 << i
		}
	}
	return s
}()

// Verdict is every rule's result for one (destination, source) pair.
// Evaluating does not allocate; the sentences are made on demand.
type Verdict struct {
	DestID, SourceID string
	Dest, Source     *Instance
	results          [ruleCount]Result
	// with is, for each outcome, the rules that gave it: the decision is
	// read from these sets without walking the results.
	with     [Unknown + 1]ruleSet
	latest67 string
}

// set records rule i's result.
func (v *Verdict) set(i int, r Result) {
	v.results[i] = r
	v.with[r.Outcome] |= 1 << i
}

// Evaluate applies every rule to a destination and a source, in order, and
// keeps each result. A nil instance is one the caller cannot see: it does not
// exist, or is another account's.
func (p *Policy) Evaluate(destID string, dest *Instance, sourceID string, source *Instance) (v Verdict) {
	v.DestID, v.SourceID, v.Dest, v.Source = destID, sourceID, dest, source
	v.set(ruleDestExists, destExists(dest))
	v.set(ruleDestNotActivating, destNotActivating(dest))
	v.set(ruleDestActive, destActive(dest))
	v.set(ruleSourceExists, sourceExists(source))
	v.set(ruleDistinct, distinct(destID, sourceID))
	if dest == nil || source == nil {
		m := missing(dest, source)
		for i := firstComparing; i < ruleCount; i++ {
			v.set(i, m)
		}
		return v
	}
	order := source.Version.Key.compare(dest.Version.Key)
	v.set(ruleSameAccount, sameAccount(dest, source))
	v.set(ruleSameRegion, sameRegion(dest, source))
	v.set(ruleVersionOrder, versionOrder(order))
	v.set(ruleKernel67, p.kernel67(dest, source))
	v.set(ruleRestorable, restorable(order, dest, source))
	if k := v.results[ruleKernel67].reason; k == reasonKernelNotLater || k == reasonBothLatest {
		if latest := p.LatestKernels[version670]; latest != nil {
			v.latest67 = latest.Original()
		}
	}
	return v
}

// Outcome is rule i's outcome (i indexes Rules).
func (v *Verdict) Outcome(i int) Outcome { return v.results[i].Outcome }

// Failing is the number of rules that fail.
func (v *Verdict) Failing() int { return bits.OnesCount16(uint16(v.with[Fail])) }

// Decision is Refused when a rule fails, else Undecided when a rule lacks a
// fact, else Compatible. Advisory warnings never refuse.
func (v *Verdict) Decision() Decision {
	switch {
	case v.with[Fail] != 0:
		return Refused
	case v.with[Unknown]&required != 0:
		return Undecided
	}
	return Compatible
}

// Compatible reports whether the platform will accept the pair.
func (v *Verdict) Compatible() bool { return v.Decision() == Compatible }

// Deciding is the index in Rules of the rule that decides the verdict: the
// first failure, else the first unknown, else -1.
func (v *Verdict) Deciding() int {
	if v.with[Fail] != 0 {
		return v.with[Fail].first()
	}
	return (v.with[Unknown] & required).first()
}

// APIError is what the platform answers for a refused pair, nil otherwise.
func (v *Verdict) APIError() *apierror.Error {
	if v.with[Fail] == 0 {
		return nil
	}
	e := rules[v.with[Fail].first()].Refusal
	return &e
}

// Warned reports whether an advisory rule warned.
func (v *Verdict) Warned() bool { return v.with[Warn] != 0 }

// Warnings are the sentences of advisory rules that warned.
func (v *Verdict) Warnings() []string {
	var out []string
	for i := range ruleCount {
		if v.with[Warn].has(i) {
			out = append(out, v.Message(i))
		}
	}
	return out
}

// Message is the sentence that explains rule i's result, naming both
// instances and the values compared.
func (v *Verdict) Message(i int) string {
	r := v.results[i]
	d, s := v.DestID, v.SourceID
	switch r.reason {
	case reasonDestMissing:
		if i == ruleDestExists {
			return fmt.Sprintf("destination %s does not exist (or belongs to another account): the platform answers InstanceNotFound", d)
		}
		return fmt.Sprintf("not evaluated: destination %s does not exist", d)
	case reasonSourceMissing:
		if i == ruleSourceExists {
			return fmt.Sprintf("source %s does not exist (or belongs to another account)", s)
		}
		return fmt.Sprintf("not evaluated: source %s does not exist", s)
	case reasonBothMissing:
		return fmt.Sprintf("not evaluated: neither destination %s nor source %s exists", d, s)
	case reasonActivating:
		return fmt.Sprintf("destination %s is activating: the platform answers InstanceActivating until it is active", d)
	case reasonNotActive:
		return fmt.Sprintf("destination %s is %s, not active: it cannot take a shared repository until it is repaired or renewed", d, v.Dest.Status)
	case reasonSameInstance:
		return fmt.Sprintf("source %s is the destination itself: a cluster cannot reference its own repository", s)
	case reasonOtherAccount:
		return fmt.Sprintf("source %s belongs to account %s, destination %s to account %s: both must belong to one account", s, v.Source.Account, d, v.Dest.Account)
	case reasonOtherRegion:
		return fmt.Sprintf("source %s is in %s, destination %s in %s: both must be in one region", s, v.Source.Region, d, v.Dest.Region)
	case reasonNewerSource:
		return fmt.Sprintf("source %s runs %s, newer than destination %s's %s: a cluster can use only the repository of a cluster of the same or an earlier version", s, v.Source.Version, d, v.Dest.Version)
	case reasonNotApplicable:
		return fmt.Sprintf("does not apply: destination %s (%s, %s) and source %s (%s, %s) are not both 6.7.0 Standard Edition", d, v.Dest.Version, v.Dest.Edition, s, v.Source.Version, v.Source.Edition)
	case reasonKernelUnknown:
		return fmt.Sprintf("both are 6.7.0 Standard Edition but the kernel of %s is not known: give the kernel of both (e.g. %s) to decide", unknownKernelOf(v), KernelExample)
	case reasonKernelLater:
		return fmt.Sprintf("destination %s's kernel %s is later than source %s's kernel %s", d, v.Dest.Kernel.Original(), s, v.Source.Kernel.Original())
	case reasonBothLatest:
		return fmt.Sprintf("destination %s and source %s both run %s, the latest 6.7.0 kernel", d, s, v.latest67)
	case reasonKernelNotLater:
		latest := v.latest67
		if latest == "" {
			latest = "not known"
		}
		return fmt.Sprintf("both are 6.7.0 Standard Edition: destination %s's kernel %s is not later than source %s's kernel %s, and they do not both run the latest kernel (%s)", d, v.Dest.Kernel.Original(), s, v.Source.Kernel.Original(), latest)
	case reasonLatestUnknown:
		return fmt.Sprintf("both are 6.7.0 Standard Edition on kernel %s, and the latest 6.7.0 kernel is not known: set latestKernels to decide", v.Dest.Kernel.Original())
	case reasonTwoMajorsBack:
		return fmt.Sprintf("source %s (%s) is two or more major versions behind destination %s (%s): the repository can be referenced, but its indices cannot be restored there", s, v.Source.Version, d, v.Dest.Version)
	case reasonNewerIndices:
		return fmt.Sprintf("source %s (%s) is newer than destination %s (%s): indices of a newer cluster cannot be restored into an older one", s, v.Source.Version, d, v.Dest.Version)
	case reasonMultiType:
		return fmt.Sprintf("source %s (%s) is 5.x and destination %s (%s) is 6.x: indices with several mapping types cannot be restored there", s, v.Source.Version, d, v.Dest.Version)
	}
	return okMessage(i, v)
}

func unknownKernelOf(v *Verdict) string {
	switch {
	case v.Dest.Kernel == nil && v.Source.Kernel == nil:
		return "destination " + v.DestID + " and source " + v.SourceID
	case v.Dest.Kernel == nil:
		return "destination " + v.DestID
	}
	return "source " + v.SourceID
}

func okMessage(i int, v *Verdict) string {
	d, s := v.DestID, v.SourceID
	switch i {
	case ruleDestExists:
		return fmt.Sprintf("destination %s exists", d)
	case ruleDestNotActivating:
		return fmt.Sprintf("destination %s is %s, not activating", d, v.Dest.Status)
	case ruleDestActive:
		return fmt.Sprintf("destination %s is %s", d, v.Dest.Status)
	case ruleSourceExists:
		return fmt.Sprintf("source %s exists", s)
	case ruleDistinct:
		return fmt.Sprintf("source %s is not destination %s", s, d)
	case ruleSameAccount:
		return fmt.Sprintf("source %s and destination %s both belong to account %s", s, d, v.Dest.Account)
	case ruleSameRegion:
		return fmt.Sprintf("source %s and destination %s are both in %s", s, d, v.Dest.Region)
	case ruleVersionOrder:
		return fmt.Sprintf("source %s runs %s, not newer than destination %s's %s", s, v.Source.Version, d, v.Dest.Version)
	case ruleRestorable:
		return fmt.Sprintf("indices of source %s (%s) can be restored into destination %s (%s)", s, v.Source.Version, d, v.Dest.Version)
	}
	return rules[i].Title
}
