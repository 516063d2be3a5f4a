package checks

import "slices"

// MatrixRow is, for one destination, every source of the inventory that may
// reference it.
type MatrixRow struct {
	Dest *Instance
	// Compatible are the sources the platform accepts, Warned those of them
	// with a restore warning, Undecided those a missing fact leaves open.
	Compatible []*Instance
	Warned     []*Instance
	Undecided  []*Instance
}

// Group is the instances of one (region, account): pairs across groups are
// always refused (RULE-SAME-REGION, RULE-SAME-ACCOUNT).
type Group struct {
	Region, Account string
	Members         []*Instance
}

// Groups splits instances by (region, account), groups and members in the
// order they first appear.
func Groups(instances []Instance) []Group {
	type key struct{ region, account string }
	index := map[key]int{}
	var out []Group
	for i := range instances {
		in := &instances[i]
		k := key{in.Region, in.Account}
		g, ok := index[k]
		if !ok {
			g = len(out)
			index[k] = g
			out = append(out, Group{Region: in.Region, Account: in.Account})
		}
		out[g].Members = append(out[g].Members, in)
	}
	return out
}

// Matrix visits one row per destination of instances, group by group (see
// Groups). The row's slices are reused: copy what you keep.
func (p *Policy) Matrix(instances []Instance, visit func(MatrixRow) error) error {
	for _, g := range Groups(instances) {
		if err := p.GroupMatrix(g.Members, visit); err != nil {
			return err
		}
	}
	return nil
}

// GroupMatrix visits one row per member of one (region, account) group, in
// the members' order. Within a group only sources no newer than the
// destination can pass RULE-VERSION, so each destination looks only at the
// sorted prefix of its group: the work is that of the answer, not of every
// pair. The row's slices are reused: copy what you keep.
func (p *Policy) GroupMatrix(members []*Instance, visit func(MatrixRow) error) error {
	byVersion := slices.Clone(members)
	slices.SortStableFunc(byVersion, func(a, b *Instance) int { return a.Version.Compare(b.Version) })
	var row MatrixRow
	for _, dest := range members {
		row = MatrixRow{Dest: dest, Compatible: row.Compatible[:0], Warned: row.Warned[:0], Undecided: row.Undecided[:0]}
		// The first source newer than dest ends the candidates.
		end, _ := slices.BinarySearchFunc(byVersion, dest, func(a, t *Instance) int {
			if c := a.Version.Compare(t.Version); c != 0 {
				return c
			}
			return -1 // equal versions are candidates: search past them
		})
		for _, src := range byVersion[:end] {
			if src == dest {
				continue
			}
			v := p.Evaluate(dest.ID, dest, src.ID, src)
			switch v.Decision() {
			case Compatible:
				row.Compatible = append(row.Compatible, src)
				if v.Warned() {
					row.Warned = append(row.Warned, src)
				}
			case Undecided:
				row.Undecided = append(row.Undecided, src)
			}
		}
		if err := visit(row); err != nil {
			return err
		}
	}
	return nil
}

// CompatibleCounts counts the compatible ordered pairs (destination,
// source), d ≠ s, of one group of instances, by label: out[i][j] is how many
// destinations labelled i may reference a source labelled j. label gives
// each instance a number below labels (e.g. its version string's index).
//
// Instances the rules cannot tell apart — same label, region, account,
// version, edition, status, and kernel where the kernel rule can read it —
// form a class, and each pair of classes is evaluated once: n instances in
// k classes cost O(n + k²) evaluations, not n². The rules stay the only
// judge: a class's verdict is Evaluate's, on one of its members.
func (p *Policy) CompatibleCounts(members []*Instance, label func(*Instance) int, labels int) [][]int {
	type class struct {
		label                    int
		region, account, version string
		edition                  Edition
		status                   Status
		kernel                   string
	}
	keyOf := func(in *Instance) class {
		k := class{label: label(in), region: in.Region, account: in.Account, version: in.Version.Number.String(),
			edition: in.Edition, status: in.Status}
		if in.Kernel != nil && in.Version.Key == version670 && in.Edition == EditionStandard {
			k.kernel = in.Kernel.String() // read by kernel67 only
		}
		return k
	}
	index := map[class]int{}
	var reps []*Instance
	var sizes []int
	for _, in := range members {
		k := keyOf(in)
		i, ok := index[k]
		if !ok {
			i = len(reps)
			index[k] = i
			reps = append(reps, in)
			sizes = append(sizes, 0)
		}
		sizes[i]++
	}
	out := make([][]int, labels)
	for i := range out {
		out[i] = make([]int, labels)
	}
	for i, d := range reps {
		for j, s := range reps {
			// Two members of one class are two instances: never "itself".
			v := p.Evaluate(d.ID, d, s.ID+"\x00another", s)
			if v.Decision() != Compatible {
				continue
			}
			pairs := sizes[i] * sizes[j]
			if i == j {
				pairs -= sizes[i]
			}
			out[label(d)][label(s)] += pairs
		}
	}
	return out
}
