package world

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/snaprepo/conform/checks"
)

func TestBuiltinWorldLoadsAndHoldsEveryCase(t *testing.T) {
	w, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if w.Region != "cn-hangzhou" || len(w.Instances) == 0 || !strings.HasPrefix(w.Digest(), "sha256:") {
		t.Fatalf("unexpected world: region %q, %d instances, digest %q", w.Region, len(w.Instances), w.Digest())
	}
	// docs/world.md's list, each as a (destination, source) pair and the decision the rules must reach.
	cases := []struct {
		name, dest, src string
		want            checks.Decision
		warned          bool
	}{
		{"compatible pair", "es-cn-cf710dest0000001", "es-cn-cf74src00000001", checks.Compatible, false},
		{"equal versions", "es-cn-cf710dest0000001", "es-cn-cf710same0000001", checks.Compatible, false},
		{"7.9 into 7.10", "es-cn-cf710dest0000001", "es-cn-cf79src00000001", checks.Compatible, false},
		{"7.10 into 7.9 (and no restore promised)", "es-cn-cf79src00000001", "es-cn-cf710dest0000001", checks.Refused, true},
		{"newer source (and no restore promised)", "es-cn-cf710dest0000001", "es-cn-cf85src00000001", checks.Refused, true},
		{"another region", "es-cn-cf710dest0000001", "es-cn-cfbeijing0000001", checks.Refused, false},
		{"another account", "es-cn-cf710dest0000001", "es-cn-cfneighbour000001", checks.Refused, false},
		{"activating destination", "es-cn-cfactivating00001", "es-cn-cf74src00000001", checks.Refused, false},
		{"inactive destination", "es-cn-cfinactive0000001", "es-cn-cf74src00000001", checks.Refused, false},
		{"invalid destination", "es-cn-cfinvalid00000001", "es-cn-cf74src00000001", checks.Refused, false},
		{"6.7.0 kernel later", "es-cn-cf67k130a0000001", "es-cn-cf67k120a0000001", checks.Compatible, false},
		{"6.7.0 kernel earlier", "es-cn-cf67k120a0000001", "es-cn-cf67k130a0000001", checks.Refused, false},
		{"6.7.0 both latest", "es-cn-cf67k130a0000001", "es-cn-cf67k130b0000001", checks.Compatible, false},
		{"6.7.0 equal, not latest", "es-cn-cf67k120a0000001", "es-cn-cf67k120b0000001", checks.Refused, false},
		{"6.7.0 kernel unknown", "es-cn-cf67k130a0000001", "es-cn-cf67nokernel00001", checks.Undecided, false},
		{"major gap warned", "es-cn-cf710dest0000001", "es-cn-cf553src00000001", checks.Compatible, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, s := w.Instance(c.dest), w.Instance(c.src)
			if d == nil || s == nil {
				t.Fatalf("the built-in world lacks %s or %s", c.dest, c.src)
			}
			v := w.Policy.Evaluate(c.dest, d, c.src, s)
			if v.Decision() != c.want || v.Warned() != c.warned {
				t.Errorf("got %s (warned %v), want %s (warned %v)", v.Decision(), v.Warned(), c.want, c.warned)
			}
		})
	}
}

func TestInvalidWorldReportsEveryProblemWithItsPlace(t *testing.T) {
	bad := `region: cn-hangzhou
accounts:
  - id: "1"
  - id: "1"
instances:
  - id: es-cn-a
    account: "1"
    region: cn-hangzhou
    version: 7.1O
    status: running
  - id: es-cn-a
    account: "9"
    region: cn-hangzhou
    version: 7.10.0
  - id: es-cn-b
    account: "1"
    version: 6.7.0
    kernel: one
latestKernels:
  "6.7.0": "x"
repos:
  - instance: es-cn-b
    repoPath: es-cn-zzz
`
	_, err := Parse("world.yaml", []byte(bad))
	if err == nil {
		t.Fatal("an invalid world loaded")
	}
	msg := err.Error()
	for _, want := range []string{
		`world.yaml: account 1: id: duplicate account id "1"`,
		`world.yaml: instance es-cn-a: version: version "7.1O" is not a version (want e.g. 7.10.0_with_X-Pack)`,
		`world.yaml: instance es-cn-a: status: status "running" is not a status`,
		`world.yaml: instance es-cn-a: account: "9" is not an account of this world`,
		`world.yaml: instance es-cn-a: id: duplicate instance id "es-cn-a"`,
		`world.yaml: instance es-cn-b: region: missing`,
		`world.yaml: instance es-cn-b: kernel: kernel "one" is not a kernel version`,
		`world.yaml: latestKernels: 6.7.0: kernel "x"`,
		`world.yaml: repos[0]: repoPath: "es-cn-zzz" is not an instance of this world`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestWorldFormatsAndBrokenFiles(t *testing.T) {
	good := &File{Region: "r", Accounts: []Account{{ID: "1"}}, Instances: []InstanceRecord{{ID: "es-1", Account: "1", Region: "r", Version: "7.10"}}}
	data, _ := json.Marshal(good)
	w, err := Parse("w.json", data)
	if err != nil {
		t.Fatalf("JSON world: %v", err)
	}
	if in := w.Instance("es-1"); in == nil || in.Status != checks.StatusActive || in.Edition != checks.EditionStandard {
		t.Errorf("defaults not applied: %+v", in)
	}
	for name, body := range map[string]string{
		"empty":         "",
		"typo in field": "region: r\ninstances:\n  - id: es-1\n    verison: 7.10\n",
		"not yaml":      "region: [",
		"bad json":      `{"region": 1}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("w", []byte(body))
			if err == nil || !strings.HasPrefix(err.Error(), "w: ") {
				t.Errorf("got %v, want an error that names the file", err)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestUnquotedAccountIDsLoadAsStrings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.yaml")
	os.WriteFile(path, []byte("region: r\naccounts:\n  - id: 1638000000000001\ninstances:\n  - id: es-1\n    account: 1638000000000001\n    region: r\n    version: 8.13\n"), 0o644)
	w, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if w.Instance("es-1").Account != "1638000000000001" || w.Instance("es-1").Version.Raw != "8.13" {
		t.Errorf("got %+v", w.Instance("es-1"))
	}
}

func TestValidIDRefusesHostileIDs(t *testing.T) {
	for _, id := range []string{"", "..", "a/b", "a%2Fb", "a\x00b", strings.Repeat("a", 65), "é", "a b"} {
		if ValidID(id) == nil {
			t.Errorf("ValidID(%q) accepted it", id)
		}
	}
	if err := ValidID("es-cn-n6w1o1x0w001c"); err != nil {
		t.Error(err)
	}
}

// File writes a world back to what it was read from: read again, it is
// the same world.
func TestFileRoundTrips(t *testing.T) {
	w, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	f := w.File()
	again, err := FromFile("again", &f)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Instances) != len(w.Instances) || !reflect.DeepEqual(again.File(), f) {
		t.Errorf("the world read back from its File differs")
	}
	for i := range w.Instances {
		a, b := w.Instances[i], again.Instances[i]
		if a.ID != b.ID || a.Version.Compare(b.Version) != 0 || a.Status != b.Status || a.Edition != b.Edition || (a.Kernel == nil) != (b.Kernel == nil) {
			t.Errorf("instance %s: %+v, read back %+v", a.ID, a, b)
		}
	}
}

// A region is 1 to 64 characters of its alphabet; the edges are held.
func TestValidRegionHoldsItsBounds(t *testing.T) {
	for r, ok := range map[string]bool{"": false, strings.Repeat("a", 64): true, strings.Repeat("a", 65): false, "cn-hangzhou": true, "cn hangzhou": false} {
		if err := ValidRegion(r); (err == nil) != ok {
			t.Errorf("ValidRegion(%q): %v, want ok %v", r, err, ok)
		}
	}
}

// A repository's status is available, unavailable or left out; nothing
// else.
func TestARepositoryStatusIsOneOfTwo(t *testing.T) {
	for status, ok := range map[string]bool{"": true, RepoAvailable: true, RepoUnavailable: true, "sleeping": false} {
		doc := okYAML + "  - {id: es-cn-b, account: \"1\", region: cn-hangzhou, version: 7.4.0}\nrepos: [{instance: es-cn-a, repoPath: es-cn-b, status: \"" + status + "\"}]\n"
		if _, err := Parse("w.yaml", []byte(doc)); (err == nil) != ok {
			t.Errorf("repository status %q: %v, want ok %v", status, err, ok)
		}
	}
}

// A world's File carries its latest kernels.
func TestAWorldsFileKeepsItsLatestKernels(t *testing.T) {
	w, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if got := w.File().LatestKernels; got["6.7.0"] != "1.3.0" {
		t.Errorf("latestKernels of the built-in world's File: %v, want 6.7.0: 1.3.0", got)
	}
}
