package checks

import (
	"math/bits"
	"strings"
	"testing"
	"time"

	"github.com/snaprepo/conform/apierror"
)

// inst builds an active Standard instance of account "A" in "cn-hangzhou";
// opts change it.
func inst(t testing.TB, id, version string, opts ...func(*Instance)) *Instance {
	t.Helper()
	in := &Instance{ID: id, Account: "A", Region: "cn-hangzhou", Version: mustVersion(t, version), Edition: EditionStandard, Status: StatusActive}
	for _, o := range opts {
		o(in)
	}
	return in
}

// mustKernel is the kernel k, which the test gives well formed.
func mustKernel(k string) *Kernel {
	v, err := ParseKernel(k)
	if err != nil {
		panic(err)
	}
	return v
}

func kernel(k string) func(*Instance) {
	return func(in *Instance) { in.Kernel = mustKernel(k) }
}
func status(s Status) func(*Instance) { return func(in *Instance) { in.Status = s } }
func region(r string) func(*Instance) { return func(in *Instance) { in.Region = r } }
func account(a string) func(*Instance) {
	return func(in *Instance) { in.Account = a }
}
func edition(e Edition) func(*Instance) { return func(in *Instance) { in.Edition = e } }

func ruleIndex(t testing.TB, id string) int {
	t.Helper()
	for i, r := range Rules() {
		if r.ID == id {
			return i
		}
	}
	t.Fatalf("no rule %s", id)
	return -1
}

func TestRulesBothWays(t *testing.T) {
	tests := []struct {
		name      string
		dest, src *Instance
		destID    string // when dest is nil
		srcID     string // when src is nil
		rule      string
		want      Outcome
		decision  Decision
		apiCode   string
		mentions  []string
	}{
		{name: "older source accepted", dest: inst(t, "d", "7.10.0_with_X-Pack"), src: inst(t, "s", "7.4_with_X-Pack"),
			rule: "RULE-VERSION", want: Pass, decision: Compatible, mentions: []string{"7.4_with_X-Pack", "7.10.0_with_X-Pack"}},
		{name: "7.9 source accepted by 7.10 destination", dest: inst(t, "d", "7.10_with_X-Pack"), src: inst(t, "s", "7.9_with_X-Pack"),
			rule: "RULE-VERSION", want: Pass, decision: Compatible},
		{name: "7.10 source refused by 7.9 destination", dest: inst(t, "d", "7.9_with_X-Pack"), src: inst(t, "s", "7.10_with_X-Pack"),
			rule: "RULE-VERSION", want: Fail, decision: Refused, apiCode: apierror.VersionIncompatible.Code, mentions: []string{"d", "s", "7.10_with_X-Pack", "7.9_with_X-Pack"}},
		{name: "equal versions in different spellings accepted", dest: inst(t, "d", "7.10.0_with_X-Pack"), src: inst(t, "s", "7.10_with_X-Pack"),
			rule: "RULE-VERSION", want: Pass, decision: Compatible},
		{name: "newer major refused", dest: inst(t, "d", "7.10.0_with_X-Pack"), src: inst(t, "s", "8.5_with_X-Pack"),
			rule: "RULE-VERSION", want: Fail, decision: Refused},
		{name: "newer patch refused", dest: inst(t, "d", "7.10.0_with_X-Pack"), src: inst(t, "s", "7.10.1_with_X-Pack"),
			rule: "RULE-VERSION", want: Fail, decision: Refused},
		{name: "same region accepted", dest: inst(t, "d", "7.10.0"), src: inst(t, "s", "7.4"),
			rule: "RULE-SAME-REGION", want: Pass, decision: Compatible},
		{name: "other region refused", dest: inst(t, "d", "7.10.0"), src: inst(t, "s", "7.4", region("cn-beijing")),
			rule: "RULE-SAME-REGION", want: Fail, decision: Refused, apiCode: apierror.RegionMismatch.Code, mentions: []string{"cn-beijing", "cn-hangzhou"}},
		{name: "same account accepted", dest: inst(t, "d", "7.10.0"), src: inst(t, "s", "7.4"),
			rule: "RULE-SAME-ACCOUNT", want: Pass, decision: Compatible},
		{name: "other account refused as if the source did not exist", dest: inst(t, "d", "7.10.0"), src: inst(t, "s", "7.4", account("B")),
			rule: "RULE-SAME-ACCOUNT", want: Fail, decision: Refused, apiCode: apierror.SourceNotFound.Code},
		{name: "source equal to destination refused", dest: inst(t, "d", "7.10.0"), src: inst(t, "d", "7.10.0"),
			rule: "RULE-DISTINCT", want: Fail, decision: Refused, apiCode: apierror.SourceIsDestination.Code},
		{name: "missing source refused", dest: inst(t, "d", "7.10.0"), srcID: "ghost",
			rule: "RULE-SOURCE-EXISTS", want: Fail, decision: Refused, apiCode: apierror.SourceNotFound.Code, mentions: []string{"ghost"}},
		{name: "missing destination is InstanceNotFound", destID: "ghost", src: inst(t, "s", "7.4"),
			rule: "ERR-INSTANCE-NOT-FOUND", want: Fail, decision: Refused, apiCode: "InstanceNotFound"},
		{name: "activating destination is InstanceActivating", dest: inst(t, "d", "7.10.0", status(StatusActivating)), src: inst(t, "s", "7.4"),
			rule: "ERR-INSTANCE-ACTIVATING", want: Fail, decision: Refused, apiCode: "InstanceActivating"},
		{name: "inactive destination refused", dest: inst(t, "d", "7.10.0", status(StatusInactive)), src: inst(t, "s", "7.4"),
			rule: "ERR-INSTANCE-INACTIVE", want: Fail, decision: Refused, apiCode: apierror.InstanceNotActive.Code, mentions: []string{"inactive"}},
		{name: "invalid destination refused", dest: inst(t, "d", "7.10.0", status(StatusInvalid)), src: inst(t, "s", "7.4"),
			rule: "ERR-INSTANCE-INACTIVE", want: Fail, decision: Refused},
		{name: "activating source does not matter", dest: inst(t, "d", "7.10.0"), src: inst(t, "s", "7.4", status(StatusActivating)),
			rule: "ERR-INSTANCE-ACTIVATING", want: Pass, decision: Compatible},
		{name: "6.7.0 destination kernel later than source accepted", dest: inst(t, "d", "6.7.0_with_X-Pack", kernel("1.3.0")), src: inst(t, "s", "6.7_with_X-Pack", kernel("1.2.0")),
			rule: "RULE-KERNEL-6.7", want: Pass, decision: Compatible, mentions: []string{"1.3.0", "1.2.0"}},
		{name: "6.7.0 destination kernel earlier than source refused", dest: inst(t, "d", "6.7.0_with_X-Pack", kernel("1.2.0")), src: inst(t, "s", "6.7.0_with_X-Pack", kernel("1.3.0")),
			rule: "RULE-KERNEL-6.7", want: Fail, decision: Refused, apiCode: apierror.KernelIncompatible.Code},
		{name: "6.7.0 equal kernels that are not the latest refused", dest: inst(t, "d", "6.7.0", kernel("1.2.0")), src: inst(t, "s", "6.7.0", kernel("1.2.0")),
			rule: "RULE-KERNEL-6.7", want: Fail, decision: Refused},
		{name: "6.7.0 both on the latest kernel accepted", dest: inst(t, "d", "6.7.0", kernel("1.3.0")), src: inst(t, "s", "6.7.0", kernel("1.3.0")),
			rule: "RULE-KERNEL-6.7", want: Pass, decision: Compatible, mentions: []string{"latest"}},
		{name: "6.7.0 unknown kernel is undecided, not guessed", dest: inst(t, "d", "6.7.0", kernel("1.3.0")), src: inst(t, "s", "6.7.0"),
			rule: "RULE-KERNEL-6.7", want: Unknown, decision: Undecided, mentions: []string{"source s"}},
		{name: "kernel rule does not apply to Advanced Edition", dest: inst(t, "d", "6.7.0", kernel("1.2.0")), src: inst(t, "s", "6.7.0", kernel("1.3.0"), edition("advanced")),
			rule: "RULE-KERNEL-6.7", want: Pass, decision: Compatible},
		{name: "kernel rule does not apply to 6.3 into 6.7.0", dest: inst(t, "d", "6.7.0", kernel("1.2.0")), src: inst(t, "s", "6.3_with_X-Pack"),
			rule: "RULE-KERNEL-6.7", want: Pass, decision: Compatible},
		{name: "5.5.3 into 7.10 allowed with a restore warning", dest: inst(t, "d", "7.10.0"), src: inst(t, "s", "5.5.3_with_X-Pack"),
			rule: AdvisoryRestore, want: Warn, decision: Compatible, mentions: []string{"cannot be restored"}},
		{name: "5.5.3 into 6.7 allowed with a multi-type warning", dest: inst(t, "d", "6.7.0"), src: inst(t, "s", "5.5.3_with_X-Pack"),
			rule: AdvisoryRestore, want: Warn, decision: Compatible, mentions: []string{"mapping types"}},
		{name: "8.5 source into 5.5.3 destination: refused, and no restore promised", dest: inst(t, "d", "5.5.3"), src: inst(t, "s", "8.5.1"),
			rule: AdvisoryRestore, want: Warn, decision: Refused, mentions: []string{"cannot be restored into an older"}},
		{name: "7.10 source into 7.9 destination: no restore promised", dest: inst(t, "d", "7.9_with_X-Pack"), src: inst(t, "s", "7.10_with_X-Pack"),
			rule: AdvisoryRestore, want: Warn, decision: Refused, mentions: []string{"newer than destination"}},
		{name: "7.9 into 7.10 restores without warning", dest: inst(t, "d", "7.10_with_X-Pack"), src: inst(t, "s", "7.9_with_X-Pack"),
			rule: AdvisoryRestore, want: Pass, decision: Compatible, mentions: []string{"can be restored"}},
		{name: "equal versions restore without warning", dest: inst(t, "d", "7.10.0_with_X-Pack"), src: inst(t, "s", "7.10_with_X-Pack"),
			rule: AdvisoryRestore, want: Pass, decision: Compatible},
		{name: "6.x into 8.x: two majors back, warned", dest: inst(t, "d", "8.5.1"), src: inst(t, "s", "6.7.0"),
			rule: AdvisoryRestore, want: Warn, decision: Compatible, mentions: []string{"two or more major"}},
		{name: "6.x into 7.x restores without warning", dest: inst(t, "d", "7.10.0"), src: inst(t, "s", "6.7.0"),
			rule: AdvisoryRestore, want: Pass, decision: Compatible},
	}
	p := DefaultPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			destID, srcID := tt.destID, tt.srcID
			if tt.dest != nil {
				destID = tt.dest.ID
			}
			if tt.src != nil {
				srcID = tt.src.ID
			}
			v := p.Evaluate(destID, tt.dest, srcID, tt.src)
			i := ruleIndex(t, tt.rule)
			if got := v.Outcome(i); got != tt.want {
				t.Errorf("%s = %s, want %s (%s)", tt.rule, got, tt.want, v.Message(i))
			}
			if got := v.Decision(); got != tt.decision {
				t.Errorf("decision = %s, want %s", got, tt.decision)
			}
			e := v.APIError()
			switch {
			case tt.decision != Refused && e != nil:
				t.Errorf("API error %s for a %s pair", e.Code, tt.decision)
			case tt.decision == Refused && e == nil:
				t.Errorf("no API error for a refused pair")
			case tt.apiCode != "" && e.Code != tt.apiCode:
				t.Errorf("API error %s, want %s", e.Code, tt.apiCode)
			}
			msg := v.Message(i)
			for _, m := range tt.mentions {
				if !strings.Contains(msg, m) {
					t.Errorf("message %q should mention %q", msg, m)
				}
			}
			for j := range Rules() {
				if v.Message(j) == "" {
					t.Errorf("rule %s has no message", Rules()[j].ID)
				}
			}
		})
	}
}

func TestLatestKernelComesFromThePolicy(t *testing.T) {
	p := Policy{LatestKernels: map[VersionKey]*Kernel{{6, 7, 0}: mustKernel("1.2.0")}}
	dest, src := inst(t, "d", "6.7.0", kernel("1.2.0")), inst(t, "s", "6.7.0", kernel("1.2.0"))
	v := p.Evaluate("d", dest, "s", src)
	if v.Decision() != Compatible {
		t.Fatalf("both on the overridden latest 1.2.0: got %s: %s", v.Decision(), v.Message(ruleIndex(t, "RULE-KERNEL-6.7")))
	}
	none := Policy{}
	v = none.Evaluate("d", dest, "s", src)
	if v.Decision() != Undecided {
		t.Errorf("equal kernels, latest not known: got %s, want undecided", v.Decision())
	}
}

func TestFirstFailureDecidesTheAPIError(t *testing.T) {
	p := DefaultPolicy()
	dest := inst(t, "d", "7.10.0", status(StatusActivating))
	src := inst(t, "s", "8.5", region("cn-beijing"))
	v := p.Evaluate("d", dest, "s", src)
	if e := v.APIError(); e == nil || e.Code != "InstanceActivating" {
		t.Errorf("API error = %v, want InstanceActivating before the rules of the source", e)
	}
	if got := Rules()[v.Deciding()].ID; got != "ERR-INSTANCE-ACTIVATING" {
		t.Errorf("deciding rule = %s", got)
	}
}

func TestEveryRuleFitsARuleSet(t *testing.T) {
	if all := bits.OnesCount16(uint16(^ruleSet(0))); ruleCount > all {
		t.Fatalf("%d rules, but a ruleSet holds %d: widen ruleSet", ruleCount, all)
	}
}

// Evaluate gives every rule a result, whichever instances are missing.
func TestEvaluateSetsEveryRule(t *testing.T) {
	p := DefaultPolicy()
	dest, src := inst(t, "d", "6.7.0", kernel("1.3.0")), inst(t, "s", "6.7.0", kernel("1.2.0"))
	all := ruleSet(1)<<ruleCount - 1
	for _, pair := range [][2]*Instance{{dest, src}, {nil, src}, {dest, nil}, {nil, nil}} {
		v := p.Evaluate("d", pair[0], "s", pair[1])
		var given ruleSet
		for _, s := range v.with {
			given |= s
		}
		if given != all {
			t.Errorf("dest %v, source %v: rules given a result %010b, want %010b", pair[0] != nil, pair[1] != nil, given, all)
		}
	}
}

func BenchmarkEvaluatePair(b *testing.B) {
	p := DefaultPolicy()
	dest := inst(b, "es-cn-dest", "6.7.0_with_X-Pack", kernel("1.3.0"))
	src := inst(b, "es-cn-src", "6.7_with_X-Pack", kernel("1.2.0"))
	b.ReportAllocs()
	for b.Loop() {
		v := p.Evaluate(dest.ID, dest, src.ID, src)
		if v.Decision() != Compatible {
			b.Fatal("want compatible")
		}
	}
}

// A refused version order never comes with a promise that indices restore.
func TestRestoreNeverPassesWhenTheVersionRuleFails(t *testing.T) {
	versions := []string{"5.5.3", "5.6.16", "6.3.2", "6.7.0", "6.8.0", "7.4.0", "7.9.0", "7.10.0", "7.10.1", "8.5.1", "8.17.0"}
	p := DefaultPolicy()
	restore, order := ruleIndex(t, AdvisoryRestore), ruleIndex(t, "RULE-VERSION")
	for _, dv := range versions {
		for _, sv := range versions {
			v := p.Evaluate("d", inst(t, "d", dv), "s", inst(t, "s", sv))
			if v.Outcome(order) == Fail && v.Outcome(restore) == Pass {
				t.Errorf("%s into %s: RULE-VERSION fails but RESTORE-COMPAT says %q", sv, dv, v.Message(restore))
			}
		}
	}
}

// plainPair is the floor: the same decision for the same pair, written as
// plain Go over pre-parsed numbers, with no rule table and no sentences.
type plainPair struct {
	account, region, status string
	version, kernel         [3]uint64
	standard                bool
}

func plainCompatible(d, s *plainPair, destID, srcID string) bool {
	if d.status != "active" || destID == srcID || d.account != s.account || d.region != s.region {
		return false
	}
	for i := range d.version {
		if s.version[i] != d.version[i] {
			if s.version[i] > d.version[i] {
				return false
			}
			break
		}
	}
	if d.version == [3]uint64{6, 7, 0} && s.version == d.version && d.standard && s.standard {
		for i := range d.kernel {
			if d.kernel[i] != s.kernel[i] {
				return d.kernel[i] > s.kernel[i]
			}
		}
		return d.kernel == [3]uint64{1, 3, 0}
	}
	return true
}

// BenchmarkEvaluatePairAgainstPlainGo measures Evaluate beside the floor on
// the same pair, in the same run, and reports the ratio (goal ≤ 3).
func BenchmarkEvaluatePairAgainstPlainGo(b *testing.B) {
	p := DefaultPolicy()
	dest := inst(b, "es-cn-dest", "6.7.0_with_X-Pack", kernel("1.3.0"))
	src := inst(b, "es-cn-src", "6.7_with_X-Pack", kernel("1.2.0"))
	pd := &plainPair{account: "A", region: "cn-hangzhou", status: "active", version: [3]uint64{6, 7, 0}, kernel: [3]uint64{1, 3, 0}, standard: true}
	ps := &plainPair{account: "A", region: "cn-hangzhou", status: "active", version: [3]uint64{6, 7, 0}, kernel: [3]uint64{1, 2, 0}, standard: true}
	// Blocks of each alternate, and the totals of every block are compared,
	// so that a slow moment of the machine falls on both sides.
	const n = 1 << 16
	var evaluate, plain time.Duration
	blocks := 0
	for b.Loop() {
		start := time.Now()
		for range n {
			v := p.Evaluate(dest.ID, dest, src.ID, src)
			if v.Decision() != Compatible {
				b.Fatal("want compatible")
			}
		}
		evaluate += time.Since(start)
		start = time.Now()
		for range n {
			if !plainCompatible(pd, ps, dest.ID, src.ID) {
				b.Fatal("want compatible")
			}
		}
		plain += time.Since(start)
		blocks++
	}
	pairs := float64(blocks) * n
	b.ReportMetric(float64(evaluate.Nanoseconds())/pairs, "evaluate-ns/pair")
	b.ReportMetric(float64(plain.Nanoseconds())/pairs, "plain-ns/pair")
	b.ReportMetric(float64(evaluate)/float64(plain), "ratio")
}
