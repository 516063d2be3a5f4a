package checks

import (
	"strings"
	"testing"
)

// Each parser accepts exactly its alphabet: the characters just outside
// every range are refused.
func TestParsersAcceptExactlyTheirAlphabet(t *testing.T) {
	for _, ok := range []string{"", "standard", "x-pack", "X-Pack", "advanced", "A-b_9z", "Zz09"} {
		if _, err := ParseEdition(ok); err != nil {
			t.Errorf("edition %q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"gold edition", "a/b", "a.b", "é", "a`", "a{", "a@", "a[", "a/", "a:"} {
		if _, err := ParseEdition(bad); err == nil {
			t.Errorf("edition %q accepted", bad)
		}
	}
	if e, _ := ParseEdition("X-Pack"); e != EditionStandard {
		t.Errorf("x-pack is %q, want standard", e)
	}
	for _, st := range Statuses() {
		if got, err := ParseStatus(string(st)); err != nil || got != st {
			t.Errorf("status %q: %q, %v", st, got, err)
		}
	}
	// The SDKs' model comments write Inactive: case is ignored.
	for in, want := range map[string]Status{"Inactive": StatusInactive, "ACTIVE": StatusActive, "Activating": StatusActivating} {
		if got, err := ParseStatus(in); err != nil || got != want {
			t.Errorf("status %q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "Actives", "sleeping", "activ"} {
		if _, err := ParseStatus(bad); err == nil {
			t.Errorf("status %q accepted", bad)
		}
	}
	for _, ok := range []string{"7.10.0_with_X-Pack", "7.10_with_A-Pack", "6.7_with_az-AZ-09"} {
		if _, err := ParseVersion(ok); err != nil {
			t.Errorf("version %q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"7.10_with_X[Pack", "7.10_with_X@Pack", "7.10_with_", "7.10_with_X.Pack", "7.10_with_X:P", "7.10_with_X/P", "7.10_with_X`P", "7.10_with_X{P"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("version %q accepted", bad)
		}
	}
}

func TestOnlyRestoreCompatIsAdvisory(t *testing.T) {
	for _, r := range Rules() {
		if r.Advisory != (r.ID == AdvisoryRestore) {
			t.Errorf("rule %s: advisory %v", r.ID, r.Advisory)
		}
	}
	if RuleIndex("RULE-VERSION") != 7 || RuleIndex(AdvisoryRestore) != len(Rules())-1 || RuleIndex("NO-SUCH-RULE") != -1 {
		t.Errorf("RuleIndex: %d %d %d", RuleIndex("RULE-VERSION"), RuleIndex(AdvisoryRestore), RuleIndex("NO-SUCH-RULE"))
	}
}

func TestVerdictSentencesNameWhatIsMissingAndWhatDecides(t *testing.T) {
	p := DefaultPolicy()
	none := p.Evaluate("ghost-d", nil, "ghost-s", nil)
	if m := none.Message(RuleIndex("RULE-VERSION")); !strings.Contains(m, "neither destination ghost-d nor source ghost-s exists") {
		t.Errorf("both missing: %q", m)
	}
	noDest := p.Evaluate("ghost-d", nil, "s", inst(t, "s", "7.4"))
	if m := noDest.Message(0); !strings.Contains(m, "destination ghost-d does not exist (or belongs to another account)") {
		t.Errorf("rule 0, missing destination: %q", m)
	}
	if m := noDest.Message(1); !strings.Contains(m, "not evaluated: destination ghost-d does not exist") {
		t.Errorf("rule 1, missing destination: %q", m)
	}
	noSrc := p.Evaluate("d", inst(t, "d", "7.10.0"), "ghost-s", nil)
	if m := noSrc.Message(RuleIndex("RULE-SOURCE-EXISTS")); !strings.Contains(m, "source ghost-s does not exist (or belongs to another account)") {
		t.Errorf("source rule, missing source: %q", m)
	}
	if m := noSrc.Message(RuleIndex("RULE-VERSION")); !strings.Contains(m, "not evaluated: source ghost-s does not exist") {
		t.Errorf("version rule, missing source: %q", m)
	}
	undecided := p.Evaluate("d", inst(t, "d", "6.7.0"), "s", inst(t, "s", "6.7.0"))
	if k := undecided.Deciding(); k != RuleIndex("RULE-KERNEL-6.7") || !strings.Contains(undecided.Message(k), "kernel of destination d and source s is not known") {
		t.Errorf("both kernels unknown: deciding %d, %q", k, undecided.Message(max(k, 0)))
	}
	compatible := p.Evaluate("d", inst(t, "d", "7.10.0"), "s", inst(t, "s", "7.4"))
	if k := compatible.Deciding(); k != -1 {
		t.Errorf("a compatible pair is decided by rule %d", k)
	}
	refused := p.Evaluate("d", inst(t, "d", "7.9", status(StatusActivating)), "s", inst(t, "s", "7.10"))
	if k := refused.Deciding(); k != RuleIndex("ERR-INSTANCE-ACTIVATING") {
		t.Errorf("the first failure decides: %d", k)
	}
	notLater := p.Evaluate("d", inst(t, "d", "6.7.0", kernel("1.2.0")), "s", inst(t, "s", "6.7.0", kernel("1.2.0")))
	if m := notLater.Message(RuleIndex("RULE-KERNEL-6.7")); !strings.Contains(m, "the latest kernel (1.3.0)") {
		t.Errorf("not later, latest known: %q", m)
	}
	both := p.Evaluate("d", inst(t, "d", "6.7.0", kernel("1.3.0")), "s", inst(t, "s", "6.7.0", kernel("1.3.0")))
	if m := both.Message(RuleIndex("RULE-KERNEL-6.7")); !strings.Contains(m, "both run 1.3.0, the latest") {
		t.Errorf("both latest: %q", m)
	}
	bare := Policy{LatestKernels: map[VersionKey]*Kernel{}}
	unknownLatest := bare.Evaluate("d", inst(t, "d", "6.7.0", kernel("1.2.0")), "s", inst(t, "s", "6.7.0", kernel("1.3.0")))
	if m := unknownLatest.Message(RuleIndex("RULE-KERNEL-6.7")); !strings.Contains(m, "the latest kernel (not known)") {
		t.Errorf("not later, latest unknown: %q", m)
	}
}

func TestWarningsAreTheAdvisoryRulesOnly(t *testing.T) {
	p := DefaultPolicy()
	warned := p.Evaluate("d", inst(t, "d", "7.10.0"), "s", inst(t, "s", "5.5.3"))
	if !warned.Warned() || len(warned.Warnings()) != 1 || !strings.Contains(warned.Warnings()[0], "two or more major versions behind") {
		t.Errorf("5.5.3 into 7.10: warned %v, %q", warned.Warned(), warned.Warnings())
	}
	clean := p.Evaluate("d", inst(t, "d", "7.10.0"), "s", inst(t, "s", "7.4"))
	if clean.Warned() || clean.Warnings() != nil {
		t.Errorf("7.4 into 7.10: warned %v, %q", clean.Warned(), clean.Warnings())
	}
	same6 := p.Evaluate("d", inst(t, "d", "6.7.0"), "s", inst(t, "s", "6.3.2"))
	if same6.Warned() {
		t.Errorf("6.3 into 6.7 warned: %q", same6.Warnings())
	}
}

func TestTheUnknownKernelSentenceNamesOnlyWhatIsUnknown(t *testing.T) {
	p := DefaultPolicy()
	k := RuleIndex("RULE-KERNEL-6.7")
	onlySrc := p.Evaluate("d", inst(t, "d", "6.7.0", kernel("1.3.0")), "s", inst(t, "s", "6.7.0"))
	if m := onlySrc.Message(k); !strings.Contains(m, "the kernel of source s is not known") {
		t.Errorf("source kernel unknown: %q", m)
	}
	onlyDest := p.Evaluate("d", inst(t, "d", "6.7.0"), "s", inst(t, "s", "6.7.0", kernel("1.3.0")))
	if m := onlyDest.Message(k); !strings.Contains(m, "the kernel of destination d is not known") {
		t.Errorf("destination kernel unknown: %q", m)
	}
}
