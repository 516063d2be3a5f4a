package checks_test

import (
	"testing"

	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/world"
)

// The matrix must agree with evaluating every pair one by one.
func TestMatrixAgreesWithPairByPair(t *testing.T) {
	w, err := world.FromFile("synthetic", world.Synthetic(3, 4, 25, 7))
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	err = w.Policy.Matrix(w.Instances, func(row checks.MatrixRow) error {
		rows++
		want := map[string]checks.Decision{}
		for i := range w.Instances {
			s := &w.Instances[i]
			v := w.Policy.Evaluate(row.Dest.ID, row.Dest, s.ID, s)
			if d := v.Decision(); d != checks.Refused {
				want[s.ID] = d
			}
		}
		got := map[string]checks.Decision{}
		for _, s := range row.Compatible {
			got[s.ID] = checks.Compatible
		}
		for _, s := range row.Undecided {
			got[s.ID] = checks.Undecided
		}
		if len(got) != len(want) {
			t.Fatalf("%s: matrix gives %d sources, pair by pair %d", row.Dest.ID, len(got), len(want))
		}
		for id, d := range want {
			if got[id] != d {
				t.Errorf("%s ← %s: matrix %v, pair %v", row.Dest.ID, id, got[id], d)
			}
		}
		return nil
	})
	if err != nil || rows != len(w.Instances) {
		t.Fatalf("rows %d of %d, err %v", rows, len(w.Instances), err)
	}
}

// BenchmarkMatrix100k is the fleet of the speed goal: 20 regions × 50
// accounts × 100 instances. Goal: under 2 s an operation.
func BenchmarkMatrix100k(b *testing.B) {
	w, err := world.FromFile("synthetic", world.Synthetic(20, 50, 100, 1))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		n := 0
		if err := w.Policy.Matrix(w.Instances, func(r checks.MatrixRow) error { n += len(r.Compatible); return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// byVersionString is every instance of w, labelled by its version string
// (as the fleet picture labels them), and how many labels there are.
func byVersionString(w *world.World) ([]*checks.Instance, func(*checks.Instance) int, int) {
	members := make([]*checks.Instance, len(w.Instances))
	index := map[string]int{}
	for i := range w.Instances {
		members[i] = &w.Instances[i]
		if _, ok := index[members[i].Version.Raw]; !ok {
			index[members[i].Version.Raw] = len(index)
		}
	}
	return members, func(in *checks.Instance) int { return index[in.Version.Raw] }, len(index)
}

// CompatibleCounts must agree with counting every pair one by one.
func TestCompatibleCountsAgreeWithPairByPair(t *testing.T) {
	for seed := range uint64(5) {
		w, err := world.FromFile("synthetic", world.Synthetic(1, 1, 120, seed))
		if err != nil {
			t.Fatal(err)
		}
		members, label, labels := byVersionString(w)
		want := make([][]int, labels)
		for i := range want {
			want[i] = make([]int, labels)
		}
		for _, d := range members {
			for _, s := range members {
				if d == s {
					continue
				}
				if v := w.Policy.Evaluate(d.ID, d, s.ID, s); v.Compatible() {
					want[label(d)][label(s)]++
				}
			}
		}
		got := w.Policy.CompatibleCounts(members, label, labels)
		total := 0
		for i := range want {
			for j := range want[i] {
				total += want[i][j]
				if got[i][j] != want[i][j] {
					t.Errorf("seed %d: label %d ← %d: %d compatible pairs, want %d", seed, i, j, got[i][j], want[i][j])
				}
			}
		}
		if total == 0 {
			t.Fatalf("seed %d: no compatible pair at all: the test proves nothing", seed)
		}
	}
}

// A 100,000-instance group: the summary the fleet picture draws for it.
func BenchmarkCompatibleCounts100kOneGroup(b *testing.B) {
	w, err := world.FromFile("synthetic", world.Synthetic(1, 1, 100_000, 7))
	if err != nil {
		b.Fatal(err)
	}
	members, label, labels := byVersionString(w)
	b.ReportAllocs()
	for b.Loop() {
		w.Policy.CompatibleCounts(members, label, labels)
	}
}
