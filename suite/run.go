package suite

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/report"
	"github.com/snaprepo/conform/version"
)

// Run runs the suite against cfg.Endpoint from a vendor's go test (or from
// conform run with a stub t) and reports whether nothing failed. A harness
// problem is printed and fails t before any spec runs.
func Run(t ginkgo.GinkgoTestingT, cfg Config) bool {
	res, err := Execute(t, cfg, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "conform: %v\n", err)
		t.Fail()
		return false
	}
	return !res.Failed()
}

// Execute is Run that returns the per-requirement results for reports.
// Notes for people (a capability that prevents cleanup) go to notes.
func Execute(t ginkgo.GinkgoTestingT, cfg Config, notes io.Writer) (*report.Run, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if cfg.LabelFilter != "" {
		if _, err := types.ParseLabelFilter(cfg.LabelFilter); err != nil {
			return nil, harness("label filter %q: %v (want e.g. MUST, or \"RULE-VERSION || AUTH-V3\")", cfg.LabelFilter, err)
		}
	}
	cat, err := catalogue.Builtin()
	if err != nil {
		return nil, harness("%v", err)
	}
	if !cfg.DryRun {
		if err := probe(cfg); err != nil {
			return nil, err
		}
	}
	if !cfg.has(CapDelete) {
		fmt.Fprintln(notes, "conform: capability delete is off: the suite cannot remove the repositories it creates; run it against a fresh implementation, and expect a second run to see them")
	}

	e := newEnv(cfg, cat)
	var captured types.Report
	ginkgo.Describe("AddSnapshotRepo", func() {
		e.requestSpecs()
		e.successSpecs()
		e.errorSpecs()
		e.ruleSpecs()
		e.authSpecs()
		e.robustnessSpecs()
		e.sdkSpecs()
		if cfg.Exhaustive {
			e.exhaustiveSpecs()
		}
	})
	ginkgo.ReportAfterSuite("conform requirement report", func(r ginkgo.Report) { captured = r })
	if cfg.Progress != nil {
		total, done := 0, 0
		ginkgo.ReportBeforeSuite(func(r ginkgo.Report) { total = r.PreRunStats.SpecsThatWillRun })
		ginkgo.ReportAfterEach(func(ginkgo.SpecReport) {
			done++
			cfg.Progress(done, total)
		})
	}

	gomega.RegisterFailHandler(ginkgo.Fail)
	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	suiteConfig.LabelFilter = cfg.LabelFilter
	suiteConfig.RandomizeAllSpecs = cfg.RandomizeAll || suiteConfig.RandomizeAllSpecs
	if cfg.Seed != 0 {
		suiteConfig.RandomSeed = cfg.Seed
	}
	suiteConfig.DryRun = cfg.DryRun || suiteConfig.DryRun
	reporterConfig.Verbose = cfg.Verbose || reporterConfig.Verbose
	reporterConfig.NoColor = cfg.NoColor || reporterConfig.NoColor
	ginkgo.RunSpecs(t, "conform: AddSnapshotRepo conformance", suiteConfig, reporterConfig)

	caps := make([]string, 0, 5)
	for _, c := range AllCapabilities() {
		if cfg.has(c) {
			caps = append(caps, string(c))
		}
	}
	slices.Sort(caps)
	return report.FromGinkgo(captured, cat, report.Meta{
		Endpoint: cfg.Endpoint, World: cfg.World.Name, WorldDigest: cfg.World.Digest(),
		ToolVersion: version.Tool, Capabilities: caps,
	}), nil
}

// probe asks the endpoint anything: an implementation that does not answer
// is one harness error, not forty failures.
func probe(cfg Config) error {
	c := apiclient.New(cfg.Endpoint, *cfg.Credentials, cfg.Signature, cfg.Timeout)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	if _, err := c.Do(ctx, apiclient.Describe("es-cn-conformprobe")); err != nil {
		return harness("endpoint %s does not answer: %v (is the implementation running? pass --endpoint with its URL)", cfg.Endpoint, err)
	}
	return nil
}
