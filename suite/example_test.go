package suite_test

import (
	"os"
	"testing"

	"github.com/snaprepo/conform/suite"
	"github.com/snaprepo/conform/world"
)

// Run the suite from your own go test, as csi-sanity is run: this is the
// whole of a vendor's conformance test file. (Ginkgo runs specs once per
// process, so this example is compiled, not run, here; conform's own tests
// run the same function through conform run.)
func ExampleRun() {
	testConformance := func(t *testing.T) {
		w, err := world.Load("testdata/world.yaml") // the state your implementation holds
		if err != nil {
			t.Fatal(err)
		}
		suite.Run(t, suite.Config{
			Endpoint:     os.Getenv("CONFORM_ENDPOINT"), // e.g. http://127.0.0.1:9280
			World:        w,
			Capabilities: []suite.Capability{suite.CapList, suite.CapDelete, suite.CapAuth},
		})
	}
	_ = testConformance
}
