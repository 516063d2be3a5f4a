package suite

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/fixtures"
	"github.com/snaprepo/conform/world"
)

// Sequences write only to pairs they own: over many seeds, no step that
// adds or deletes — an empty-clientToken delete included — names a
// repository of the world, which a later sequence's model expects listed.
func TestSequencesNeverWriteTheWorldsRepositories(t *testing.T) {
	extra := "\n  - instance: es-cn-cf710dest0000001\n    repoPath: es-cn-cf74src00000001\n" +
		"  - instance: es-cn-cf710same0000001\n    repoPath: es-cn-cf79src00000001\n"
	w, err := world.Parse("world.yaml", append(bytes.TrimRight(fixtures.World, "\n"), extra...))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Endpoint: "http://127.0.0.1:1", World: w}
	if err := cfg.normalize(); err != nil {
		t.Fatal(err)
	}
	cat, err := catalogue.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(cfg, cat)
	pools, ok := e.statePools()
	if !ok {
		t.Fatal("the world gives no pools")
	}
	holds := 0
	for _, d := range pools.dests {
		for _, r := range w.Repos {
			if r.Instance == d.ID {
				holds++
			}
		}
	}
	if holds == 0 {
		t.Fatal("no destination of the pools holds a repository of the world: the test would prove nothing")
	}
	for seed := range uint64(500) {
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		for i, st := range e.generate(rng, pools, stateSteps) {
			d, s := pools.dests[st.dest], pools.srcs[st.src]
			writes := st.kind == stepAdd || st.kind == stepDelete || (st.kind == stepHostile && st.op == hostileEmptyToken)
			if writes && e.cases.existing[[2]string{d.ID, s.ID}] {
				t.Fatalf("seed %d, step %d (kind %d, op %d) writes %s → %s, a repository of the world", seed, i+1, st.kind, st.op, d.ID, s.ID)
			}
		}
	}
}
