package checks

import (
	"fmt"

	"github.com/snaprepo/conform/apierror"
)

// Outcome is one rule's result for one pair.
type Outcome uint8

// The outcomes of a rule. Unknown means a fact the rule needs is missing: the
// rule never guesses.
const (
	Pass Outcome = iota
	Fail
	Warn
	Unknown
)

// String is the outcome as reports write it: pass, fail, warn or unknown.
func (o Outcome) String() string {
	switch o {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	case Warn:
		return "warn"
	default:
		return "unknown"
	}
}

// reason says why a rule gave its outcome; Verdict.Message turns it into a sentence.
type reason uint8

const (
	reasonOK reason = iota
	reasonDestMissing
	reasonSourceMissing
	reasonBothMissing
	reasonActivating
	reasonNotActive
	reasonSameInstance
	reasonOtherAccount
	reasonOtherRegion
	reasonNewerSource
	reasonNotApplicable
	reasonKernelUnknown
	reasonKernelLater
	reasonBothLatest
	reasonKernelNotLater
	reasonLatestUnknown
	reasonTwoMajorsBack
	reasonMultiType
	reasonNewerIndices
)

// Rule is one compatibility rule: the requirement it stands for, what the
// platform answers when it fails, and how it decides.
type Rule struct {
	// ID is the requirement ID of docs/requirements.md, or for an advisory rule
	// (one that only warns) a name of its own.
	ID string
	// Title is a few words for people.
	Title string
	// Refusal is the API error the platform answers when the rule fails.
	Refusal apierror.Error
	// Advisory rules warn and never refuse.
	Advisory bool
	decide   func(p *Policy, dest, src *Instance, destID, srcID string) (Outcome, reason)
}

// AdvisoryRestore is the ID of the advisory rule about restoring indices.
const AdvisoryRestore = "RESTORE-COMPAT"

// ruleCount is the number of rules, a constant so that a Verdict holds its
// results in an array, without allocating.
const ruleCount = len(rules)

// Indexes in rules of the rules whose sentences need more than their reason,
// found by ID.
var (
	destExistsRule   = RuleIndex("ERR-INSTANCE-NOT-FOUND")
	sourceExistsRule = RuleIndex("RULE-SOURCE-EXISTS")
	kernelRule       = RuleIndex("RULE-KERNEL-6.7")
)

// rules in the order the platform checks them: the first failure decides the
// API error.
var rules = [...]Rule{
	{ID: "ERR-INSTANCE-NOT-FOUND", Title: "destination exists", Refusal: apierror.InstanceNotFound, decide: destExists},
	{ID: "ERR-INSTANCE-ACTIVATING", Title: "destination is not activating", Refusal: apierror.InstanceActivating, decide: destNotActivating},
	{ID: "ERR-INSTANCE-INACTIVE", Title: "destination is active", Refusal: apierror.InstanceNotActive, decide: destActive},
	{ID: "RULE-SOURCE-EXISTS", Title: "source exists", Refusal: apierror.SourceNotFound, decide: sourceExists},
	{ID: "RULE-DISTINCT", Title: "source is not the destination", Refusal: apierror.SourceIsDestination, decide: distinct},
	// Another account's source is, to the caller, a source that does not
	// exist: the refusal must not reveal that it does.
	{ID: "RULE-SAME-ACCOUNT", Title: "same account", Refusal: apierror.SourceNotFound, decide: sameAccount},
	{ID: "RULE-SAME-REGION", Title: "same region", Refusal: apierror.RegionMismatch, decide: sameRegion},
	{ID: "RULE-VERSION", Title: "source not newer", Refusal: apierror.VersionIncompatible, decide: versionOrder},
	{ID: "RULE-KERNEL-6.7", Title: "6.7.0 kernel", Refusal: apierror.KernelIncompatible, decide: kernel67},
	{ID: AdvisoryRestore, Title: "indices restorable", Advisory: true, decide: restorable},
}

// advisory is each rule's Advisory, apart from the table: Decision reads it
// for every pair, and the Rule records are too large to walk on that path.
var advisory = func() (a [ruleCount]bool) {
	for i := range rules {
		a[i] = rules[i].Advisory
	}
	return a
}()

// Rules lists the rules in the order they are checked.
func Rules() []Rule { return rules[:] }

func destExists(_ *Policy, dest, _ *Instance, _, _ string) (Outcome, reason) {
	if dest == nil {
		return Fail, reasonDestMissing
	}
	return Pass, reasonOK
}

func destNotActivating(_ *Policy, dest, _ *Instance, _, _ string) (Outcome, reason) {
	switch {
	case dest == nil:
		return Unknown, reasonDestMissing
	case dest.Status == StatusActivating:
		return Fail, reasonActivating
	}
	return Pass, reasonOK
}

func destActive(_ *Policy, dest, _ *Instance, _, _ string) (Outcome, reason) {
	switch {
	case dest == nil:
		return Unknown, reasonDestMissing
	case dest.Status == StatusInactive || dest.Status == StatusInvalid:
		return Fail, reasonNotActive
	}
	return Pass, reasonOK
}

func sourceExists(_ *Policy, _, src *Instance, _, _ string) (Outcome, reason) {
	if src == nil {
		return Fail, reasonSourceMissing
	}
	return Pass, reasonOK
}

func distinct(_ *Policy, _, _ *Instance, destID, srcID string) (Outcome, reason) {
	if destID == srcID {
		return Fail, reasonSameInstance
	}
	return Pass, reasonOK
}

// missing is the outcome of a rule that compares the two instances when one
// of them is not there to compare.
func missing(dest, src *Instance) (Outcome, reason, bool) {
	switch {
	case dest == nil && src == nil:
		return Unknown, reasonBothMissing, true
	case dest == nil:
		return Unknown, reasonDestMissing, true
	case src == nil:
		return Unknown, reasonSourceMissing, true
	}
	return Pass, reasonOK, false
}

func sameAccount(_ *Policy, dest, src *Instance, _, _ string) (Outcome, reason) {
	if o, r, gone := missing(dest, src); gone {
		return o, r
	}
	if dest.Account != src.Account {
		return Fail, reasonOtherAccount
	}
	return Pass, reasonOK
}

func sameRegion(_ *Policy, dest, src *Instance, _, _ string) (Outcome, reason) {
	if o, r, gone := missing(dest, src); gone {
		return o, r
	}
	if dest.Region != src.Region {
		return Fail, reasonOtherRegion
	}
	return Pass, reasonOK
}

func versionOrder(_ *Policy, dest, src *Instance, _, _ string) (Outcome, reason) {
	if o, r, gone := missing(dest, src); gone {
		return o, r
	}
	if src.Version.Compare(dest.Version) > 0 {
		return Fail, reasonNewerSource
	}
	return Pass, reasonOK
}

// kernel67 is the user guide's rule for two 6.7.0 Standard Edition instances:
// the destination's kernel must be later than the source's, or both must run
// the latest kernel.
func kernel67(p *Policy, dest, src *Instance, _, _ string) (Outcome, reason) {
	if o, r, gone := missing(dest, src); gone {
		return o, r
	}
	if !dest.Version.Is(6, 7, 0) || !src.Version.Is(6, 7, 0) ||
		dest.Edition != EditionStandard || src.Edition != EditionStandard {
		return Pass, reasonNotApplicable
	}
	if dest.Kernel == nil || src.Kernel == nil {
		return Unknown, reasonKernelUnknown
	}
	dk, sk := keyOf(dest.Kernel), keyOf(src.Kernel)
	if dk.compare(sk) > 0 {
		return Pass, reasonKernelLater
	}
	latest := p.LatestKernels[VersionKey{6, 7, 0}]
	if latest == nil {
		if dk == sk {
			return Unknown, reasonLatestUnknown
		}
		return Fail, reasonKernelNotLater
	}
	if lk := keyOf(latest); dk == lk && sk == lk {
		return Pass, reasonBothLatest
	}
	return Fail, reasonKernelNotLater
}

// restorable warns where Elastic's snapshot compatibility means the
// repository can be referenced but not every index in it restored.
func restorable(_ *Policy, dest, src *Instance, _, _ string) (Outcome, reason) {
	if o, r, gone := missing(dest, src); gone {
		return o, r
	}
	sm, dm := src.Version.Key.Major, dest.Version.Key.Major
	switch {
	case src.Version.Compare(dest.Version) > 0:
		// Elastic never restores a snapshot into an older cluster.
		return Warn, reasonNewerIndices
	case dm >= sm+2:
		return Warn, reasonTwoMajorsBack
	case sm == 5 && dm == 6:
		return Warn, reasonMultiType
	}
	return Pass, reasonOK
}

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

// Verdict is every rule's result for one (destination, source) pair.
// Evaluating does not allocate; the sentences are made on demand.
type Verdict struct {
	DestID, SourceID string
	Dest, Source     *Instance
	Results          [ruleCount]Result
	latest67         string
}

// Evaluate applies every rule to a destination and a source. A nil instance
// is one the caller cannot see: it does not exist, or is another account's.
func (p *Policy) Evaluate(destID string, dest *Instance, sourceID string, source *Instance) Verdict {
	v := Verdict{DestID: destID, SourceID: sourceID, Dest: dest, Source: source}
	for i := range rules {
		o, r := rules[i].decide(p, dest, source, destID, sourceID)
		v.Results[i] = Result{Outcome: o, reason: r}
	}
	if r := v.Results[kernelRule].reason; r == reasonKernelNotLater || r == reasonBothLatest {
		if k := p.LatestKernels[VersionKey{6, 7, 0}]; k != nil {
			v.latest67 = k.Original()
		}
	}
	return v
}

// Decision is Refused when a rule fails, else Undecided when a rule lacks a
// fact, else Compatible. Advisory warnings never refuse.
func (v *Verdict) Decision() Decision {
	d := Compatible
	for i, r := range v.Results {
		switch {
		case r.Outcome == Fail:
			return Refused
		case r.Outcome == Unknown && !advisory[i]:
			d = Undecided
		}
	}
	return d
}

// Compatible reports whether the platform will accept the pair.
func (v *Verdict) Compatible() bool { return v.Decision() == Compatible }

// Deciding is the index in Rules of the rule that decides the verdict: the
// first failure, else the first unknown, else -1.
func (v *Verdict) Deciding() int {
	unknown := -1
	for i, r := range v.Results {
		if r.Outcome == Fail {
			return i
		}
		if r.Outcome == Unknown && unknown < 0 && !advisory[i] {
			unknown = i
		}
	}
	return unknown
}

// APIError is what the platform answers for a refused pair, nil otherwise.
func (v *Verdict) APIError() *apierror.Error {
	for i, r := range v.Results {
		if r.Outcome == Fail {
			e := rules[i].Refusal
			return &e
		}
	}
	return nil
}

// Warned reports whether an advisory rule warned.
func (v *Verdict) Warned() bool {
	for _, r := range v.Results {
		if r.Outcome == Warn {
			return true
		}
	}
	return false
}

// Warnings are the sentences of advisory rules that warned.
func (v *Verdict) Warnings() []string {
	var out []string
	for i, r := range v.Results {
		if r.Outcome == Warn {
			out = append(out, v.Message(i))
		}
	}
	return out
}

// Message is the sentence that explains rule i's result, naming both
// instances and the values compared.
func (v *Verdict) Message(i int) string {
	r := v.Results[i]
	d, s := v.DestID, v.SourceID
	switch r.reason {
	case reasonDestMissing:
		if i == destExistsRule {
			return fmt.Sprintf("destination %s does not exist (or belongs to another account): the platform answers InstanceNotFound", d)
		}
		return fmt.Sprintf("not evaluated: destination %s does not exist", d)
	case reasonSourceMissing:
		if i == sourceExistsRule {
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
	switch rules[i].ID {
	case "ERR-INSTANCE-NOT-FOUND":
		return fmt.Sprintf("destination %s exists", d)
	case "ERR-INSTANCE-ACTIVATING":
		return fmt.Sprintf("destination %s is %s, not activating", d, v.Dest.Status)
	case "ERR-INSTANCE-INACTIVE":
		return fmt.Sprintf("destination %s is %s", d, v.Dest.Status)
	case "RULE-SOURCE-EXISTS":
		return fmt.Sprintf("source %s exists", s)
	case "RULE-DISTINCT":
		return fmt.Sprintf("source %s is not destination %s", s, d)
	case "RULE-SAME-ACCOUNT":
		return fmt.Sprintf("source %s and destination %s both belong to account %s", s, d, v.Dest.Account)
	case "RULE-SAME-REGION":
		return fmt.Sprintf("source %s and destination %s are both in %s", s, d, v.Dest.Region)
	case "RULE-VERSION":
		return fmt.Sprintf("source %s runs %s, not newer than destination %s's %s", s, v.Source.Version, d, v.Dest.Version)
	case AdvisoryRestore:
		return fmt.Sprintf("indices of source %s (%s) can be restored into destination %s (%s)", s, v.Source.Version, d, v.Dest.Version)
	}
	return rules[i].Title
}

// RuleIndex is the index in Rules of the rule with that ID, or -1.
func RuleIndex(id string) int {
	for i := range rules {
		if rules[i].ID == id {
			return i
		}
	}
	return -1
}
