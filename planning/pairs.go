package planning

import (
	"slices"

	"github.com/snaprepo/conform/checks"
)

// newPairs counts the pairs (destination, source) of the world that the
// rules accept after the upgrades and did not before, without evaluating
// every pair: only a pair with an upgraded end can change, and within a
// group (account and region, the only pairs the rules can accept) such a
// pair changes, as far as versions go, when
//
//   - its destination d is upgraded and its source s is not, and
//     d.before < s ≤ d.after: counted by binary search over the sorted
//     versions of the group's instances that are not upgraded;
//   - both are upgraded, s.before > d.before and s.after ≤ d.after: counted
//     as a dominance count over the upgraded ones (a Fenwick tree);
//   - (an upgraded source never makes a pair of a destination that is not
//     upgraded: its version only grows.)
//
// The 6.7.0 kernel rule decides a pair only when both ends are 6.7.0
// Standard Edition: those pairs, with an upgraded end, are evaluated one by
// kind by kind (profile) and replace their count by versions. The
// destination must be active (an upgrade changes no status). The cost is
// O(n log n) in the instances, plus the square of the kinds of 6.7.0
// Standard instances.
func (f *fleet) newPairs() int {
	if len(f.ups) == 0 {
		return 0
	}
	type key struct{ account, region string }
	groups := map[key][]int{}
	for i := range f.before {
		k := key{f.before[i].Account, f.before[i].Region}
		groups[k] = append(groups[k], i)
	}
	total := 0
	for _, members := range groups {
		total += f.groupNewPairs(members)
	}
	return total
}

func (f *fleet) groupNewPairs(members []int) int {
	var ups, kept, special []int
	for _, i := range members {
		if f.step[i] >= 0 {
			ups = append(ups, i)
		} else {
			kept = append(kept, i)
		}
		if f.before[i].UnderKernelRule() || f.after[i].UnderKernelRule() {
			special = append(special, i)
		}
	}
	if len(ups) == 0 {
		return 0
	}
	active := func(i int) bool { return f.before[i].Status == checks.StatusActive }
	// Upgraded destination, source not upgraded.
	versions := make([]checks.Version, len(kept))
	for n, i := range kept {
		versions[n] = f.before[i].Version
	}
	slices.SortFunc(versions, checks.Version.Compare)
	// atMost is the number of versions ≤ v.
	atMost := func(v checks.Version) int {
		n, _ := slices.BinarySearchFunc(versions, v, func(x, t checks.Version) int {
			if x.Compare(t) <= 0 {
				return -1
			}
			return 1
		})
		return n
	}
	count := 0
	for _, d := range ups {
		if active(d) {
			count += atMost(f.after[d].Version) - atMost(f.before[d].Version)
		}
	}
	count += f.bothUpgraded(ups, active)
	// The 6.7.0 Standard pairs: the exact verdicts replace the count by
	// versions. Instances alike in everything the rules read, before and
	// after, are counted together: the pairs cost the square of the kinds
	// of 6.7.0 instances (kernels, statuses, upgrades), not of their number.
	kinds := map[profile][]int{}
	var order []profile
	for _, i := range special {
		k := f.profileOf(i)
		if kinds[k] == nil {
			order = append(order, k)
		}
		kinds[k] = append(kinds[k], i)
	}
	for _, pd := range order {
		for _, ps := range order {
			if !pd.upgraded && !ps.upgraded {
				continue
			}
			d, s := kinds[pd][0], kinds[ps][0]
			pairs := len(kinds[pd]) * len(kinds[ps])
			if pd == ps {
				pairs = len(kinds[pd]) * (len(kinds[pd]) - 1)
			}
			count += pairs * (b2i(f.exactNew(d, s)) - b2i(f.versionNew(d, s, active)))
		}
	}
	return count
}

// bothUpgraded counts the pairs of upgraded instances (d, s) with d active,
// s.before > d.before and s.after ≤ d.after.
func (f *fleet) bothUpgraded(ups []int, active func(int) bool) int {
	if len(ups) < 2 {
		return 0
	}
	// Ranks of the versions after, for the tree.
	afters := make([]checks.Version, len(ups))
	for n, i := range ups {
		afters[n] = f.after[i].Version
	}
	slices.SortFunc(afters, checks.Version.Compare)
	afters = slices.CompactFunc(afters, func(a, b checks.Version) bool { return a.Compare(b) == 0 })
	rank := func(v checks.Version) int { // 1-based
		n, _ := slices.BinarySearchFunc(afters, v, checks.Version.Compare)
		return n + 1
	}
	tree := make([]int, len(afters)+1)
	add := func(r int) {
		for ; r < len(tree); r += r & -r {
			tree[r]++
		}
	}
	sum := func(r int) (n int) {
		for ; r > 0; r -= r & -r {
			n += tree[r]
		}
		return n
	}
	// Sources are inserted in descending order of their version before;
	// each destination counts those strictly newer before than it.
	byBefore := slices.Clone(ups)
	slices.SortFunc(byBefore, func(a, b int) int { return f.before[b].Version.Compare(f.before[a].Version) })
	count := 0
	for lo := 0; lo < len(byBefore); {
		hi := lo
		for hi < len(byBefore) && f.before[byBefore[hi]].Version.Compare(f.before[byBefore[lo]].Version) == 0 {
			hi++
		}
		for _, d := range byBefore[lo:hi] {
			if active(d) {
				count += sum(rank(f.after[d].Version))
			}
		}
		for _, s := range byBefore[lo:hi] {
			add(rank(f.after[s].Version))
		}
		lo = hi
	}
	return count
}

// profile is what the rules read of an instance, before and after: two
// instances of one profile (and group) pair alike with every other.
type profile struct {
	before, after kindOf
	upgraded      bool
}

type kindOf struct {
	version        checks.VersionKey
	edition        checks.Edition
	kernel, status string
}

func (f *fleet) profileOf(i int) profile {
	kind := func(in *checks.Instance) kindOf {
		k := kindOf{version: in.Version.Key, edition: in.Edition, status: string(in.Status)}
		if in.Kernel != nil {
			k.kernel = in.Kernel.String()
		}
		return k
	}
	return profile{before: kind(&f.before[i]), after: kind(&f.after[i]), upgraded: f.step[i] >= 0}
}

// versionNew is what the counts by version say of the pair (d, s).
func (f *fleet) versionNew(d, s int, active func(int) bool) bool {
	return active(d) && f.after[s].Version.Compare(f.after[d].Version) <= 0 && f.before[s].Version.Compare(f.before[d].Version) > 0
}

// exactNew is what the rules say of the pair (d, s): accepted after, not
// before.
// The IDs are left out: d and s stand for two distinct instances of their
// profiles, which may be one.
func (f *fleet) exactNew(d, s int) bool {
	pol := &f.w.Policy
	after := pol.Evaluate("destination", &f.after[d], "source", &f.after[s])
	if !after.Compatible() {
		return false
	}
	before := pol.Evaluate("destination", &f.before[d], "source", &f.before[s])
	return !before.Compatible()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
