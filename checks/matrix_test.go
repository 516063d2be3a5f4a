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
