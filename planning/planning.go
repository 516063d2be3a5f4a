// Package planning answers what a change to a fleet does to its shared
// snapshot repositories: given a world and the upgrades planned for some of
// its instances, which existing references the rules refuse afterwards, in
// which order to apply the upgrades so that none breaks in between (or
// which break whatever the order), and how many new pairs the upgrades make
// possible. It judges with the checks package's rules and nothing else.
package planning

import (
	"cmp"
	"container/heap"
	"fmt"
	"slices"
	"strings"

	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/internal/suggest"
	"github.com/snaprepo/conform/world"
)

// Upgrade is one planned change of an instance: its new Elasticsearch
// version and, optionally, its new kernel.
type Upgrade struct {
	ID      string
	Version checks.Version
	// Kernel is the kernel after the upgrade; nil keeps the instance's
	// kernel when the version stays 6.7.0 and leaves it unknown otherwise.
	Kernel *checks.Kernel
}

// UpgradeExample is a well-formed --upgrade value, quoted in errors.
const UpgradeExample = "es-cn-a=7.10.0_with_X-Pack,es-cn-b=6.7.0_with_X-Pack@ali1.3.0"

// ParseUpgrades reads ID=VERSION[@KERNEL] items separated by commas.
func ParseUpgrades(s string) ([]Upgrade, error) {
	var out []Upgrade
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		id, target, ok := strings.Cut(item, "=")
		if !ok || id == "" || target == "" {
			return nil, fmt.Errorf("upgrade %q is not ID=VERSION (e.g. %s)", item, UpgradeExample)
		}
		version, kernel, hasKernel := strings.Cut(target, "@")
		u := Upgrade{ID: id}
		var err error
		if u.Version, err = checks.ParseVersion(version); err != nil {
			return nil, fmt.Errorf("upgrade of %s: %w", id, err)
		}
		if hasKernel {
			if u.Kernel, err = checks.ParseKernel(kernel); err != nil {
				return nil, fmt.Errorf("upgrade of %s: %w", id, err)
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// Finding is one existing reference the plan speaks of: the destination
// that holds it, its source, and the rule that refuses it with the rule's
// sentence.
type Finding struct {
	Destination, Source string
	Rule, Message       string
	// Today is the reference's decision before any upgrade: compatible,
	// refused or undecided.
	Today string
}

// Transient is a reference that holds today and after the upgrades but
// breaks between two upgrades of the order: from BrokenBy's upgrade until
// MendedBy's.
type Transient struct {
	Finding
	BrokenBy, MendedBy string
}

// Plan is what the upgrades do to the world's references.
type Plan struct {
	// References is the number of existing references judged.
	References int
	// Breaks are the references the rules refuse once every upgrade is
	// applied (without upgrades: today), in the world's order.
	Breaks []Finding
	// Undecided are the references the rules cannot decide afterwards: a
	// fact is missing (a 6.7.0 kernel).
	Undecided []Finding
	// Order is the order to apply the upgrades in.
	Order []string
	// InBetween are the references that hold today and at the end but
	// break between two upgrades of Order. It is empty whenever some order
	// keeps every reference; when none does (references that form a cycle
	// of upgrades), Order breaks these, not always the fewest possible.
	InBetween []Transient
	// NewPairs is the number of (destination, source) pairs of the world
	// the rules accept after the upgrades and did not before.
	NewPairs int
}

// Holds reports whether nothing breaks and nothing is left undecided.
func (p *Plan) Holds() bool {
	return len(p.Breaks) == 0 && len(p.InBetween) == 0 && len(p.Undecided) == 0
}

// fleet is the world before and after the upgrades: after[i] is
// before[i] upgraded, the same value when instance i is not.
type fleet struct {
	w             *world.World
	before, after []checks.Instance
	// step is the upgrade's position in the order given, -1 when instance
	// i is not upgraded.
	step []int
	ups  []Upgrade
	// index is each instance's position, by ID.
	index map[string]int
}

// Make judges the world's references against the upgrades. An upgrade of an
// instance the world lacks, a second upgrade of one instance, or a
// downgrade is an error that names it.
func Make(w *world.World, ups []Upgrade) (*Plan, error) {
	f := &fleet{w: w, before: w.Instances, after: slices.Clone(w.Instances), step: make([]int, len(w.Instances)), ups: ups}
	for i := range f.step {
		f.step[i] = -1
	}
	index := make(map[string]int, len(w.Instances))
	for i := range w.Instances {
		index[w.Instances[i].ID] = i
	}
	f.index = index
	for n, u := range ups {
		i, ok := index[u.ID]
		if !ok {
			return nil, fmt.Errorf("upgrade of %s: it is not in %s%s", u.ID, w.Name, suggest.DidYouMean(u.ID, w.InstanceIDs()))
		}
		if f.step[i] >= 0 {
			return nil, fmt.Errorf("upgrade of %s: given twice (plan one upgrade per instance)", u.ID)
		}
		next, err := upgraded(w.Instances[i], u)
		if err != nil {
			return nil, err
		}
		f.after[i], f.step[i] = next, n
	}
	p := &Plan{References: len(w.Repos)}
	cons := f.judge(p)
	f.order(p, cons)
	p.NewPairs = f.newPairs()
	return p, nil
}

// upgraded is in after the upgrade u, or why u is no upgrade.
func upgraded(in checks.Instance, u Upgrade) (checks.Instance, error) {
	out := in
	switch c := u.Version.Compare(in.Version); {
	case c < 0:
		return in, fmt.Errorf("upgrade of %s: %s is older than its %s (a downgrade; conform plans upgrades only)", u.ID, u.Version, in.Version)
	case c > 0:
		out.Kernel = nil // a new version comes with its own kernel
	}
	out.Version = u.Version
	if u.Kernel != nil {
		if in.Kernel != nil && u.Version.Compare(in.Version) == 0 && u.Kernel.Compare(in.Kernel) < 0 {
			return in, fmt.Errorf("upgrade of %s: kernel %s is older than its %s (a downgrade; conform plans upgrades only)", u.ID, u.Kernel.Original(), in.Kernel.Original())
		}
		out.Kernel = u.Kernel
	}
	return out, nil
}

// constraint is a reference whose two ends are both upgraded and that
// holds before and after: first must be upgraded before second, or, when
// either way breaks it, unavoidable.
type constraint struct {
	repo          int
	first, second int // instance indexes
	unavoidable   bool
}

// judge fills the plan's breaks and undecided references, and returns the
// constraints on the order: one per reference with both ends upgraded
// whose verdict in between depends on the order.
func (f *fleet) judge(p *Plan) []constraint {
	var cons []constraint
	pol := &f.w.Policy
	for n, r := range f.w.Repos {
		d, dOK := f.index[r.Instance]
		s, sOK := f.index[r.RepoPath]
		if !dOK || !sOK {
			// A world names only its own instances (world.FromFile checks);
			// a reference to another is refused, as the platform would.
			v := pol.Evaluate(r.Instance, f.pick(f.before, d, dOK), r.RepoPath, f.pick(f.before, s, sOK))
			p.Breaks = append(p.Breaks, finding(&v, &v))
			continue
		}
		today := pol.Evaluate(r.Instance, &f.before[d], r.RepoPath, &f.before[s])
		after := pol.Evaluate(r.Instance, &f.after[d], r.RepoPath, &f.after[s])
		switch after.Decision() {
		case checks.Refused:
			p.Breaks = append(p.Breaks, finding(&after, &today))
			continue
		case checks.Undecided:
			p.Undecided = append(p.Undecided, finding(&after, &today))
			continue
		}
		if f.step[d] < 0 || f.step[s] < 0 || d == s || !today.Compatible() {
			// The state in between is today's or the final one; or the
			// reference does not hold today, and nothing in between can
			// break it.
			continue
		}
		destFirst := pol.Evaluate(r.Instance, &f.after[d], r.RepoPath, &f.before[s])
		sourceFirst := pol.Evaluate(r.Instance, &f.before[d], r.RepoPath, &f.after[s])
		switch dOK, sOK := destFirst.Compatible(), sourceFirst.Compatible(); {
		case dOK && !sOK:
			cons = append(cons, constraint{repo: n, first: d, second: s})
		case sOK && !dOK:
			cons = append(cons, constraint{repo: n, first: s, second: d})
		case !dOK && !sOK:
			cons = append(cons, constraint{repo: n, first: d, second: s, unavoidable: true})
		}
	}
	return cons
}

// pick is &in[i] when ok, else nil: an instance the world lacks.
func (f *fleet) pick(in []checks.Instance, i int, ok bool) *checks.Instance {
	if !ok {
		return nil
	}
	return &in[i]
}

func finding(v, today *checks.Verdict) Finding {
	i := v.Deciding()
	return Finding{Destination: v.DestID, Source: v.SourceID, Rule: checks.Rules()[i].ID, Message: v.Message(i), Today: today.Decision().String()}
}

// order sorts the upgrades so that every constraint's first comes before
// its second, keeping the order given where nothing decides (Kahn's
// algorithm, smallest given position first); where the constraints form a
// cycle, the earliest given upgrade left goes next, and the references it
// breaks are reported. Each reference that breaks in between is reported
// with the upgrades that break and mend it.
func (f *fleet) order(p *Plan, cons []constraint) {
	if len(f.ups) == 0 {
		return
	}
	node := func(i int) int { return f.step[i] } // upgrade position of instance i
	after := make([][]int, len(f.ups))
	waiting := make([]int, len(f.ups))
	for _, c := range cons {
		if c.unavoidable {
			continue
		}
		a, b := node(c.first), node(c.second)
		after[a] = append(after[a], b)
		waiting[b]++
	}
	ready := &minHeap{}
	for n := range f.ups {
		if waiting[n] == 0 {
			heap.Push(ready, n)
		}
	}
	placed := make([]bool, len(f.ups))
	position := make([]int, len(f.ups))
	next := 0 // the earliest given upgrade that may be unplaced
	for len(p.Order) < len(f.ups) {
		n := -1
		for ready.Len() > 0 && n < 0 {
			if m := heap.Pop(ready).(int); !placed[m] {
				n = m
			}
		}
		if n < 0 { // a cycle: every upgrade left waits for another
			for placed[next] {
				next++
			}
			n = next
		}
		placed[n], position[n] = true, len(p.Order)
		p.Order = append(p.Order, f.ups[n].ID)
		for _, m := range after[n] {
			if waiting[m]--; waiting[m] == 0 && !placed[m] {
				heap.Push(ready, m)
			}
		}
	}
	pol := &f.w.Policy
	for _, c := range cons {
		first, second := c.first, c.second
		if position[node(first)] > position[node(second)] {
			first, second = second, first
		}
		if !c.unavoidable && first == c.first {
			continue // kept by the order
		}
		r := f.w.Repos[c.repo]
		d, s := f.index[r.Instance], f.index[r.RepoPath]
		// In between, first is upgraded and second is not yet.
		dest, src := &f.before[d], &f.before[s]
		if first == d {
			dest = &f.after[d]
		} else {
			src = &f.after[s]
		}
		between := pol.Evaluate(r.Instance, dest, r.RepoPath, src)
		today := pol.Evaluate(r.Instance, &f.before[d], r.RepoPath, &f.before[s])
		p.InBetween = append(p.InBetween, Transient{Finding: finding(&between, &today), BrokenBy: f.before[first].ID, MendedBy: f.before[second].ID})
	}
	slices.SortStableFunc(p.InBetween, func(a, b Transient) int {
		return cmp.Compare(position[node(f.index[a.BrokenBy])], position[node(f.index[b.BrokenBy])])
	})
}

// minHeap is a heap of upgrade positions, smallest first.
type minHeap []int

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
