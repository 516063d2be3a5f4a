package planning

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/snaprepo/conform/world"
)

// benchFleet is a fleet of n instances in one account and region with refs
// references, most of which hold, and ups upgrades.
func benchFleet(b *testing.B, n, refs, ups int) (*world.World, []Upgrade) {
	b.Helper()
	w, err := world.FromFile("synthetic", world.Synthetic(1, 1, n, 11))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	w.Repos = make([]world.Repo, 0, refs)
	for len(w.Repos) < refs {
		d, s := rng.IntN(n), rng.IntN(n)
		if w.Instances[s].Version.Compare(w.Instances[d].Version) > 0 {
			d, s = s, d
		}
		w.Repos = append(w.Repos, world.Repo{Instance: w.Instances[d].ID, RepoPath: w.Instances[s].ID})
	}
	var spec strings.Builder
	for i, j := range rng.Perm(n)[:ups] {
		if i > 0 {
			spec.WriteByte(',')
		}
		fmt.Fprintf(&spec, "%s=8.17", w.Instances[j].ID)
	}
	u, err := ParseUpgrades(spec.String())
	if err != nil {
		b.Fatal(err)
	}
	return w, u
}

// BenchmarkPlan100k plans 10,000 upgrades of a fleet of 100,000 instances
// holding 1,000,000 references (goal: internal/cmd/benchgoals).
func BenchmarkPlan100k(b *testing.B) {
	w, ups := benchFleet(b, 100_000, 1_000_000, 10_000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Make(w, ups); err != nil {
			b.Fatal(err)
		}
	}
}
