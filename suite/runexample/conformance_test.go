// Package runexample is a vendor's whole conformance test file, as the
// README shows it: conform's suite run from go test against the
// implementation at $CONFORM_ENDPOINT.
package runexample

import (
	"os"
	"testing"

	"github.com/snaprepo/conform/suite"
	"github.com/snaprepo/conform/world"
)

func TestConformance(t *testing.T) {
	endpoint := os.Getenv("CONFORM_ENDPOINT") // e.g. http://127.0.0.1:9280
	if endpoint == "" {
		t.Skip("set CONFORM_ENDPOINT to the implementation's URL")
	}
	w, err := world.Load("testdata/world.yaml") // the state the implementation holds
	if err != nil {
		t.Fatal(err)
	}
	cfg := suite.DefaultConfig() // conform run's defaults: timeouts, settle time, sequences
	cfg.Endpoint, cfg.World = endpoint, w
	if !suite.Run(t, cfg) {
		t.Log("see the per-requirement summary above")
	}
}
