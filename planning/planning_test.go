package planning

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/world"
)

var testVersions = []string{"5.5.3_with_X-Pack", "6.3_with_X-Pack", "6.7.0_with_X-Pack", "6.7_with_X-Pack", "7.4_with_X-Pack", "7.10.0_with_X-Pack", "7.10_with_X-Pack", "8.5_with_X-Pack", "8.13"}

// randomFleet is a small world of two accounts in two regions with mixed
// versions, editions, kernels and statuses, random references, and random
// upgrades of some instances (never a downgrade).
func randomFleet(t *testing.T, rng *rand.Rand) (*world.World, []Upgrade) {
	t.Helper()
	f := &world.File{Region: "cn-a", LatestKernels: map[string]string{"6.7.0": "1.3.0"},
		Accounts: []world.Account{{ID: "1000"}, {ID: "2000"}}}
	n := 4 + rng.IntN(14)
	kernels := []string{"", "1.2.0", "1.3.0"}
	level := make([]int, n)
	for i := range n {
		level[i] = rng.IntN(len(testVersions))
		rec := world.InstanceRecord{ID: fmt.Sprintf("es-p-%02d", i), Account: []string{"1000", "2000"}[rng.IntN(5)/4],
			Region: []string{"cn-a", "cn-b"}[rng.IntN(6)/5], Version: testVersions[level[i]],
			Status:  []string{"active", "active", "active", "activating", "inactive"}[rng.IntN(5)],
			Edition: []string{"standard", "standard", "advanced"}[rng.IntN(3)], Kernel: kernels[rng.IntN(3)]}
		f.Instances = append(f.Instances, rec)
	}
	seen := map[[2]int]bool{}
	for range rng.IntN(3 * n) {
		d, s := rng.IntN(n), rng.IntN(n)
		if level[s] > level[d] && rng.IntN(4) > 0 {
			d, s = s, d // most references hold today
		}
		if d == s || seen[[2]int{d, s}] {
			continue
		}
		seen[[2]int{d, s}] = true
		f.Repos = append(f.Repos, world.Repo{Instance: f.Instances[d].ID, RepoPath: f.Instances[s].ID})
	}
	w, err := world.FromFile("random", f)
	if err != nil {
		t.Fatal(err)
	}
	var ups []Upgrade
	for _, i := range rng.Perm(n)[:rng.IntN(min(n, 6)+1)] {
		to := level[i] + rng.IntN(len(testVersions)-level[i])
		if rng.IntN(2) == 0 {
			to = max(level[i], len(testVersions)-1-rng.IntN(2)) // upgrades share targets
		}
		spec := fmt.Sprintf("%s=%s", f.Instances[i].ID, testVersions[to])
		if rng.IntN(3) == 0 {
			spec += "@" + []string{"1.2.0", "1.3.0", "1.4.0"}[rng.IntN(3)]
		}
		u, err := ParseUpgrades(spec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := upgraded(w.Instances[i], u[0]); err != nil {
			continue // a kernel downgrade: left out
		}
		ups = append(ups, u[0])
	}
	return w, ups
}

// state is the world's instances with the first k upgrades of order
// applied.
func state(t *testing.T, w *world.World, ups []Upgrade, order []string, k int) map[string]*checks.Instance {
	t.Helper()
	by := map[string]Upgrade{}
	for _, u := range ups {
		by[u.ID] = u
	}
	out := map[string]*checks.Instance{}
	for i := range w.Instances {
		in := w.Instances[i]
		out[in.ID] = &in
	}
	for _, id := range order[:k] {
		next, err := upgraded(*out[id], by[id])
		if err != nil {
			t.Fatal(err)
		}
		out[id] = &next
	}
	return out
}

func holds(w *world.World, st map[string]*checks.Instance, r world.Repo) bool {
	v := w.Policy.Evaluate(r.Instance, st[r.Instance], r.RepoPath, st[r.RepoPath])
	return v.Compatible()
}

// The plan agrees with the rules applied by brute force: every pair for
// the new ones, every reference in every state of the order for the breaks,
// and every order of the upgrades for whether one keeps every reference.
func TestThePlanAgreesWithTheRulesEverywhere(t *testing.T) {
	var stats [4]int
	defer func() {
		// The fleets must exercise what is checked: references broken in
		// between, at the end, and new pairs.
		if stats[0] < 100 || stats[1] == 0 || stats[2] == 0 {
			t.Errorf("the random fleets exercise too little of the plan: %d whose order given breaks a reference, %d with one broken in between, %d breaks, %d new pairs", stats[0], stats[3], stats[1], stats[2])
		}
		t.Logf("%d plans whose order given breaks a reference, %d with one broken in between, %d breaks, %d new pairs", stats[0], stats[3], stats[1], stats[2])
	}()
	for seed := range uint64(3000) {
		rng := rand.New(rand.NewPCG(seed, 7))
		w, ups := randomFleet(t, rng)
		p, err := Make(w, ups)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		ids := make([]string, len(ups))
		for i, u := range ups {
			ids[i] = u.ID
		}
		if got, want := slices.Sorted(slices.Values(p.Order)), slices.Sorted(slices.Values(ids)); !slices.Equal(got, want) {
			t.Fatalf("seed %d: order %v is not the upgrades %v", seed, p.Order, ids)
		}
		before, after := state(t, w, ups, p.Order, 0), state(t, w, ups, p.Order, len(ups))
		// New pairs.
		want := 0
		for _, d := range w.Instances {
			for _, s := range w.Instances {
				a := w.Policy.Evaluate(d.ID, after[d.ID], s.ID, after[s.ID])
				b := w.Policy.Evaluate(d.ID, before[d.ID], s.ID, before[s.ID])
				if a.Compatible() && !b.Compatible() {
					want++
				}
			}
		}
		if p.NewPairs != want {
			t.Fatalf("seed %d: %d new pairs; the rules pair by pair say %d (upgrades %v)", seed, p.NewPairs, want, ids)
		}
		// Breaks and undecided at the end.
		var breaks, undecided []string
		for _, r := range w.Repos {
			switch v := w.Policy.Evaluate(r.Instance, after[r.Instance], r.RepoPath, after[r.RepoPath]); v.Decision() {
			case checks.Refused:
				breaks = append(breaks, r.Instance+"←"+r.RepoPath)
			case checks.Undecided:
				undecided = append(undecided, r.Instance+"←"+r.RepoPath)
			}
		}
		if got := pairsOf(p.Breaks); !slices.Equal(got, breaks) {
			t.Fatalf("seed %d: breaks %v; the rules say %v", seed, got, breaks)
		}
		if got := pairsOf(p.Undecided); !slices.Equal(got, undecided) {
			t.Fatalf("seed %d: undecided %v; the rules say %v", seed, got, undecided)
		}
		// In between, along the order given.
		broken := map[string]bool{}
		for k := 1; k < len(ups); k++ {
			st := state(t, w, ups, p.Order, k)
			for _, r := range w.Repos {
				if holds(w, before, r) && holds(w, after, r) && !holds(w, st, r) {
					broken[r.Instance+"←"+r.RepoPath] = true
				}
			}
		}
		reported := map[string]bool{}
		for _, tr := range p.InBetween {
			reported[tr.Destination+"←"+tr.Source] = true
		}
		for k := 1; k < len(ups); k++ { // the order given: would it break one?
			st := state(t, w, ups, ids, k)
			if slices.ContainsFunc(w.Repos, func(r world.Repo) bool { return holds(w, before, r) && holds(w, after, r) && !holds(w, st, r) }) {
				stats[0]++
				break
			}
		}
		stats[1] += len(p.Breaks)
		stats[2] += p.NewPairs
		if len(p.InBetween) > 0 {
			stats[3]++
		}
		if fmt.Sprint(reported) != fmt.Sprint(broken) {
			t.Fatalf("seed %d: order %v reports %v broken in between; applying it breaks %v", seed, p.Order, reported, broken)
		}
		// When some order keeps every reference, the plan's does.
		if len(broken) > 0 && len(ups) <= 5 && someOrderKeepsAll(t, w, ups, before, after) {
			t.Fatalf("seed %d: order %v breaks %v, yet another order keeps every reference", seed, p.Order, broken)
		}
	}
}

func pairsOf(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Destination+"←"+f.Source)
	}
	return out
}

func someOrderKeepsAll(t *testing.T, w *world.World, ups []Upgrade, before, after map[string]*checks.Instance) bool {
	ids := make([]string, len(ups))
	for i, u := range ups {
		ids[i] = u.ID
	}
	var try func(k int) bool
	try = func(k int) bool {
		if k == len(ids) {
			for j := 1; j < len(ids); j++ {
				st := state(t, w, ups, ids, j)
				for _, r := range w.Repos {
					if holds(w, before, r) && holds(w, after, r) && !holds(w, st, r) {
						return false
					}
				}
			}
			return true
		}
		for i := k; i < len(ids); i++ {
			ids[k], ids[i] = ids[i], ids[k]
			if try(k + 1) {
				return true
			}
			ids[k], ids[i] = ids[i], ids[k]
		}
		return false
	}
	return try(0)
}

func mustWorld(t *testing.T, yaml string) *world.World {
	t.Helper()
	w, err := world.Parse("plan.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

const planWorld = `region: cn-hangzhou
accounts: [{id: "1000"}]
latestKernels: {"6.7.0": "1.3.0"}
instances:
  - {id: es-old, account: "1000", region: cn-hangzhou, version: 7.4_with_X-Pack}
  - {id: es-mid, account: "1000", region: cn-hangzhou, version: 7.10.0_with_X-Pack}
  - {id: es-new, account: "1000", region: cn-hangzhou, version: 8.5_with_X-Pack}
  - {id: es-k12, account: "1000", region: cn-hangzhou, version: 6.7.0_with_X-Pack, kernel: 1.2.0}
  - {id: es-k13, account: "1000", region: cn-hangzhou, version: 6.7.0_with_X-Pack, kernel: 1.3.0}
  - {id: es-k63, account: "1000", region: cn-hangzhou, version: 6.3_with_X-Pack, kernel: 1.9.0}
repos:
  - {instance: es-mid, repoPath: es-old}
  - {instance: es-k13, repoPath: es-k12}
  - {instance: es-k13, repoPath: es-k63}
`

func TestAnUpgradedSourceBreaksItsOlderDestinations(t *testing.T) {
	w := mustWorld(t, planWorld)
	ups, _ := ParseUpgrades("es-old=8.5_with_X-Pack")
	p, err := Make(w, ups)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Breaks) != 1 || p.Breaks[0].Destination != "es-mid" || p.Breaks[0].Rule != "RULE-VERSION" || p.Breaks[0].Today != "compatible" {
		t.Fatalf("breaks %+v; want es-mid ← es-old refused by RULE-VERSION", p.Breaks)
	}
	if !strings.Contains(p.Breaks[0].Message, "8.5_with_X-Pack") {
		t.Errorf("the message %q names no version after the upgrade", p.Breaks[0].Message)
	}
	if p.Holds() {
		t.Error("a plan with a break holds")
	}
}

func TestDestinationsGoBeforeTheirSources(t *testing.T) {
	w := mustWorld(t, planWorld)
	ups, _ := ParseUpgrades("es-old=8.5_with_X-Pack,es-mid=8.5_with_X-Pack")
	p, err := Make(w, ups)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Order, []string{"es-mid", "es-old"}) || !p.Holds() {
		t.Fatalf("order %v, breaks %v, in between %v; want es-mid first and nothing broken", p.Order, p.Breaks, p.InBetween)
	}
	// At 8.5, es-old may reference es-mid and es-new, es-mid es-new.
	if p.NewPairs != 3 {
		t.Errorf("new pairs: %d; want 3", p.NewPairs)
	}
}

func TestTheKernelRuleMovesWithKernels(t *testing.T) {
	w := mustWorld(t, planWorld)
	// The source's kernel reaches the destination's: neither later, not
	// both latest.
	ups, _ := ParseUpgrades("es-k12=6.7.0_with_X-Pack@1.3.0")
	p, err := Make(w, ups)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Holds() {
		t.Fatalf("both on the latest kernel: %+v", p)
	}
	w2 := mustWorld(t, strings.Replace(planWorld, "kernel: 1.3.0", "kernel: 1.2.5", 1))
	p, _ = Make(w2, ups)
	if len(p.Breaks) != 1 || p.Breaks[0].Rule != "RULE-KERNEL-6.7" {
		t.Fatalf("a source's kernel passing the destination's: breaks %+v; want RULE-KERNEL-6.7", p.Breaks)
	}
	// The same version without a kernel keeps the kernel.
	ups, _ = ParseUpgrades("es-k12=6.7.0_with_X-Pack")
	if p, _ = Make(w, ups); !p.Holds() {
		t.Errorf("the same version again: %+v; want the kernel kept and nothing changed", p)
	}
	// A version change without a kernel leaves the kernel unknown.
	ups, _ = ParseUpgrades("es-k63=6.7.0_with_X-Pack")
	if p, _ = Make(w, ups); len(p.Undecided) != 1 || p.Undecided[0].Source != "es-k63" || p.Undecided[0].Rule != "RULE-KERNEL-6.7" {
		t.Errorf("6.3 to 6.7.0 without a kernel: %+v; want es-k13 ← es-k63 undecided by RULE-KERNEL-6.7", p)
	}
	ups, _ = ParseUpgrades("es-k12=6.7.0_with_X-Pack,es-mid=6.7.0_with_X-Pack")
	if _, err := Make(w, ups); err == nil || !strings.Contains(err.Error(), "downgrade") {
		t.Errorf("7.10 to 6.7: %v; want a downgrade refused", err)
	}
}

func TestWithoutUpgradesThePlanIsTodaysRefusals(t *testing.T) {
	w := mustWorld(t, planWorld+"  - {instance: es-old, repoPath: es-new}\n")
	p, err := Make(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Breaks) != 1 || p.Breaks[0].Destination != "es-old" || p.Breaks[0].Today != "refused" || len(p.Order) != 0 || p.NewPairs != 0 {
		t.Fatalf("plan %+v; want es-old ← es-new refused today and nothing else", p)
	}
}

func TestACycleIsReportedWhateverTheOrder(t *testing.T) {
	w := mustWorld(t, `region: cn-hangzhou
accounts: [{id: "1000"}]
instances:
  - {id: es-a, account: "1000", region: cn-hangzhou, version: 7.10.0_with_X-Pack}
  - {id: es-b, account: "1000", region: cn-hangzhou, version: 7.10.0_with_X-Pack}
repos:
  - {instance: es-a, repoPath: es-b}
  - {instance: es-b, repoPath: es-a}
`)
	ups, _ := ParseUpgrades("es-b=8.5_with_X-Pack,es-a=8.5_with_X-Pack")
	p, err := Make(w, ups)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Breaks) != 0 || len(p.InBetween) != 1 || p.InBetween[0].BrokenBy != p.Order[0] || p.InBetween[0].MendedBy != p.Order[1] {
		t.Fatalf("plan %+v; want one reference broken from the first upgrade to the second", p)
	}
	if tr := p.InBetween[0]; tr.Source != p.Order[0] || tr.Rule != "RULE-VERSION" {
		t.Errorf("in between %+v; want the reference whose source goes first, refused by RULE-VERSION", tr)
	}
}

func TestBadUpgradesAreRefusedByName(t *testing.T) {
	w := mustWorld(t, planWorld)
	for spec, want := range map[string]string{
		"es-nope=8.5":                    `es-nope: it is not in plan.yaml`,
		"es-mid=7.4_with_X-Pack":         "downgrade",
		"es-k13=6.7.0_with_X-Pack@1.2.0": "kernel 1.2.0 is older than its 1.3.0",
		"es-mid=8.5,es-mid=8.13":         "given twice",
	} {
		ups, err := ParseUpgrades(spec)
		if err == nil {
			_, err = Make(w, ups)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want it refused (%s)", spec, err, want)
		}
	}
	for spec, want := range map[string]string{
		"=8.5":            "is not ID=VERSION",
		"es-mid":          "is not ID=VERSION",
		"es-mid=":         "is not ID=VERSION",
		"es-mid=seven":    `version "seven" is not a version`,
		"es-mid=8.5@next": `kernel "next" is not a kernel version`,
	} {
		if _, err := ParseUpgrades(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", spec, err, want)
		}
	}
}

// Upgrades the references do not order stay in the order given.
func TestUpgradesThatDoNotDependKeepTheOrderGiven(t *testing.T) {
	w := mustWorld(t, planWorld)
	// es-old reaching es-mid's version first keeps es-mid ← es-old.
	ups, _ := ParseUpgrades("es-old=7.10.0_with_X-Pack,es-new=8.13,es-mid=8.5_with_X-Pack")
	p, err := Make(w, ups)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Order, []string{"es-old", "es-new", "es-mid"}) || !p.Holds() {
		t.Errorf("order %v (holds %v); want the order given, nothing broken", p.Order, p.Holds())
	}
}

// A reference to an instance the world lacks is refused, as the platform
// would refuse it.
func TestAReferenceToAnUnknownInstanceIsABreak(t *testing.T) {
	w := mustWorld(t, planWorld)
	w.Repos = append(w.Repos, world.Repo{Instance: "es-mid", RepoPath: "es-ghost"})
	p, err := Make(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Breaks) != 1 || p.Breaks[0].Source != "es-ghost" || p.Breaks[0].Rule != "RULE-SOURCE-EXISTS" {
		t.Errorf("breaks %+v; want es-mid ← es-ghost refused by RULE-SOURCE-EXISTS", p.Breaks)
	}
}
