package world

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadOrBuiltinLoadsTheNamedFileOrTheBuiltinWorld(t *testing.T) {
	b, err := LoadOrBuiltin("")
	if err != nil || b.Name != BuiltinName {
		t.Fatalf("LoadOrBuiltin(\"\"): %v, %v", b, err)
	}
	path := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(path, []byte(okYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := LoadOrBuiltin(path)
	if err != nil || w.Name != path || len(w.Instances) != 1 {
		t.Fatalf("LoadOrBuiltin(%s): %v, %v", path, w, err)
	}
}

func TestVisibleToShowsOnlyTheCallersInstances(t *testing.T) {
	w, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	const mine, theirs = "1638000000000001", "1638000000000002"
	if w.VisibleTo(mine, "es-cn-cf710dest0000001") == nil {
		t.Error("an own instance is invisible")
	}
	if w.VisibleTo(mine, "es-cn-cfneighbour000001") != nil {
		t.Error("another account's instance is visible")
	}
	if w.VisibleTo(theirs, "es-cn-cfneighbour000001") == nil {
		t.Error("the neighbour cannot see its own instance")
	}
	if w.VisibleTo(mine, "es-cn-nosuch") != nil {
		t.Error("an unknown instance is visible")
	}
}

// Synthetic fleets give most 6.7.0 instances a kernel (some are left
// unknown, to be undecided), so the kernel rule decides their pairs in
// benchmarks; nothing else gets one.
func TestSyntheticKernelsGoToSixSevenOnly(t *testing.T) {
	f := Synthetic(1, 1, 400, 1)
	with, sixSeven := 0, 0
	for _, in := range f.Instances {
		is67 := in.Version == "6.7.0_with_X-Pack" || in.Version == "6.7_with_X-Pack"
		if is67 {
			sixSeven++
		}
		if in.Kernel != "" {
			with++
			if !is67 {
				t.Errorf("%s (%s) has kernel %s", in.ID, in.Version, in.Kernel)
			}
		}
	}
	if sixSeven == 0 || with == 0 || with == sixSeven {
		t.Errorf("%d 6.7 instances, %d with kernels", sixSeven, with)
	}
}
