package checks

import (
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
// platform answers when it fails, and whether it only warns. How it decides is
// its function below, called in order by Evaluate.
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
}

// AdvisoryRestore is the ID of the advisory rule about restoring indices.
const AdvisoryRestore = "RESTORE-COMPAT"

// The rules' indexes in rules, in the order the platform checks them: the
// first failure decides the API error. Evaluate fills each index from the
// rule's function of the same name.
const (
	ruleDestExists = iota
	ruleDestNotActivating
	ruleDestActive
	ruleSourceExists
	ruleDistinct
	ruleSameAccount
	ruleSameRegion
	ruleVersionOrder
	ruleKernel67
	ruleRestorable
	// ruleCount is the number of rules, a constant so that a Verdict holds
	// its results in an array, without allocating.
	ruleCount
)

// firstComparing is the first rule that compares the two instances: it and
// every later rule have nothing to compare when either is missing.
const firstComparing = ruleSameAccount

var rules = [ruleCount]Rule{
	ruleDestExists:        {ID: "ERR-INSTANCE-NOT-FOUND", Title: "destination exists", Refusal: apierror.InstanceNotFound},
	ruleDestNotActivating: {ID: "ERR-INSTANCE-ACTIVATING", Title: "destination is not activating", Refusal: apierror.InstanceActivating},
	ruleDestActive:        {ID: "ERR-INSTANCE-INACTIVE", Title: "destination is active", Refusal: apierror.InstanceNotActive},
	ruleSourceExists:      {ID: "RULE-SOURCE-EXISTS", Title: "source exists", Refusal: apierror.SourceNotFound},
	ruleDistinct:          {ID: "RULE-DISTINCT", Title: "source is not the destination", Refusal: apierror.SourceIsDestination},
	// Another account's source is, to the caller, a source that does not
	// exist: the refusal must not reveal that it does.
	ruleSameAccount:  {ID: "RULE-SAME-ACCOUNT", Title: "same account", Refusal: apierror.SourceNotFound},
	ruleSameRegion:   {ID: "RULE-SAME-REGION", Title: "same region", Refusal: apierror.RegionMismatch},
	ruleVersionOrder: {ID: "RULE-VERSION", Title: "source not newer", Refusal: apierror.VersionIncompatible},
	ruleKernel67:     {ID: "RULE-KERNEL-6.7", Title: "6.7.0 kernel", Refusal: apierror.KernelIncompatible},
	ruleRestorable:   {ID: AdvisoryRestore, Title: "indices restorable", Advisory: true},
}

// Rules lists the rules in the order they are checked.
func Rules() []Rule { return rules[:] }

func destExists(dest *Instance) Result {
	if dest == nil {
		return Result{Fail, reasonDestMissing}
	}
	return Result{Pass, reasonOK}
}

func destNotActivating(dest *Instance) Result {
	switch {
	case dest == nil:
		return Result{Unknown, reasonDestMissing}
	case dest.Status == StatusActivating:
		return Result{Fail, reasonActivating}
	}
	return Result{Pass, reasonOK}
}

func destActive(dest *Instance) Result {
	switch {
	case dest == nil:
		return Result{Unknown, reasonDestMissing}
	case dest.Status == StatusInactive || dest.Status == StatusInvalid:
		return Result{Fail, reasonNotActive}
	}
	return Result{Pass, reasonOK}
}

func sourceExists(src *Instance) Result {
	if src == nil {
		return Result{Fail, reasonSourceMissing}
	}
	return Result{Pass, reasonOK}
}

func distinct(destID, srcID string) Result {
	if destID == srcID {
		return Result{Fail, reasonSameInstance}
	}
	return Result{Pass, reasonOK}
}

// missing is the result of every rule that compares the two instances when
// one of them (or both) is not there to compare.
func missing(dest, src *Instance) Result {
	switch {
	case dest == nil && src == nil:
		return Result{Unknown, reasonBothMissing}
	case dest == nil:
		return Result{Unknown, reasonDestMissing}
	}
	return Result{Unknown, reasonSourceMissing}
}

func sameAccount(dest, src *Instance) Result {
	if dest.Account != src.Account {
		return Result{Fail, reasonOtherAccount}
	}
	return Result{Pass, reasonOK}
}

func sameRegion(dest, src *Instance) Result {
	if dest.Region != src.Region {
		return Result{Fail, reasonOtherRegion}
	}
	return Result{Pass, reasonOK}
}

// versionOrder is given order, the source's version compared with the
// destination's (-1, 0 or +1).
func versionOrder(order int) Result {
	if order > 0 {
		return Result{Fail, reasonNewerSource}
	}
	return Result{Pass, reasonOK}
}

// version670 is the version the kernel rule is about (a variable only
// because Go has no constant structs).
var version670 = VersionKey{6, 7, 0}

// kernel67 is the user guide's rule for two 6.7.0 Standard Edition instances:
// the destination's kernel must be later than the source's, or both must run
// the latest kernel.
func (p *Policy) kernel67(dest, src *Instance) Result {
	if !dest.UnderKernelRule() || !src.UnderKernelRule() {
		return Result{Pass, reasonNotApplicable}
	}
	if dest.Kernel == nil || src.Kernel == nil {
		return Result{Unknown, reasonKernelUnknown}
	}
	dk, sk := dest.Kernel.Key, src.Kernel.Key
	if dk.compare(sk) > 0 {
		return Result{Pass, reasonKernelLater}
	}
	latest := p.LatestKernels[version670]
	if latest == nil {
		if dk == sk {
			return Result{Unknown, reasonLatestUnknown}
		}
		return Result{Fail, reasonKernelNotLater}
	}
	if lk := latest.Key; dk == lk && sk == lk {
		return Result{Pass, reasonBothLatest}
	}
	return Result{Fail, reasonKernelNotLater}
}

// UnderKernelRule reports whether the 6.7.0 kernel rule can apply to the
// instance: a 6.7.0 Standard Edition instance. It applies to a pair when
// both are.
func (in *Instance) UnderKernelRule() bool {
	return in.Version.Key == version670 && in.Edition == EditionStandard
}

// restorable warns where Elastic's snapshot compatibility means the
// repository can be referenced but not every index in it restored. order is
// as for versionOrder.
func restorable(order int, dest, src *Instance) Result {
	sm, dm := src.Version.Key.Major, dest.Version.Key.Major
	switch {
	case order > 0:
		// Elastic never restores a snapshot into an older cluster.
		return Result{Warn, reasonNewerIndices}
	case dm >= sm+2:
		return Result{Warn, reasonTwoMajorsBack}
	case sm == 5 && dm == 6:
		return Result{Warn, reasonMultiType}
	}
	return Result{Pass, reasonOK}
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
