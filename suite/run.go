package suite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/internal/suggest"
	"github.com/snaprepo/conform/internal/terminal"
	"github.com/snaprepo/conform/report"
	"github.com/snaprepo/conform/version"
)

// Run runs the suite against cfg.Endpoint from a vendor's go test, prints
// the per-requirement summary conform run prints, and reports whether the
// run was complete: nothing failed and every selected MUST requirement was
// exercised. An incomplete run fails t too: nothing was proven about the
// requirements the world could not exercise. A harness problem is printed
// and fails t before any spec runs.
func Run(t ginkgo.GinkgoTestingT, cfg Config) bool {
	res, err := Execute(t, cfg, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "conform: %v\n", err)
		t.Fail()
		return false
	}
	res.WriteConsole(os.Stdout)
	if res.Outcome() != report.Complete {
		t.Fail()
		return false
	}
	return true
}

// Registered is conform's specs added to a Ginkgo suite: after RunSpecs,
// Results gives the results per requirement.
type Registered struct {
	cfg      Config
	cat      *catalogue.Catalogue
	env      *env
	captured types.Report
}

// Register adds conform's specs to the caller's Ginkgo suite, which the
// caller runs with RunSpecs beside specs of its own (as csi-sanity's
// GinkgoTest does); the configuration is checked and the endpoint probed
// first. The caller's suite must register the Gomega fail handler, and run
// with cfg's LabelFilter if it sets one.
func Register(cfg Config, notes io.Writer) (*Registered, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	cat, err := catalogue.Builtin()
	if err != nil {
		return nil, harness("%w", err)
	}
	if !cfg.DryRun {
		if err := probe(cfg); err != nil {
			return nil, err
		}
	}
	if !cfg.has(CapDelete) {
		fmt.Fprintln(notes, "conform: capability delete is off: the suite cannot remove the repositories it creates; run it against a fresh implementation, and expect a second run to see them")
	}
	reg := &Registered{cfg: cfg, cat: cat, env: newEnv(cfg, cat)}
	e := reg.env
	ginkgo.Describe("AddSnapshotRepo", func() {
		ginkgo.BeforeEach(e.ready)
		ginkgo.AfterEach(e.noteThrottled)
		e.requestSpecs()
		e.successSpecs()
		e.errorSpecs()
		e.ruleSpecs()
		e.authSpecs()
		e.robustnessSpecs()
		e.sdkSpecs()
		e.stateSpecs()
		if cfg.Exhaustive {
			e.exhaustiveSpecs()
		}
	})
	ginkgo.ReportAfterSuite("conform requirement report", func(r ginkgo.Report) { reg.captured = r })
	if cfg.Progress != nil {
		total, done := 0, 0
		ginkgo.ReportBeforeSuite(func(r ginkgo.Report) { total = r.PreRunStats.SpecsThatWillRun })
		ginkgo.ReportAfterEach(func(r ginkgo.SpecReport) {
			if r.State == types.SpecStateSkipped && r.Failure.Message == "" {
				return // left out by the label filter: not among the total
			}
			done++
			cfg.Progress(done, total)
		})
	}
	return reg, nil
}

// GomegaFail is the Gomega fail handler conform's specs want: Ginkgo's
// Fail, with the control bytes of an implementation's answers escaped.
// A suite that embeds conform's specs (Register) registers it:
// gomega.RegisterFailHandler(suite.GomegaFail).
func GomegaFail(message string, callerSkip ...int) {
	skip := 1
	if len(callerSkip) > 0 {
		skip += callerSkip[0]
	}
	fail(message, skip)
}

// Results are the run's results per requirement, once RunSpecs returned.
func (reg *Registered) Results() *report.Run {
	cfg := reg.cfg
	var on, off []string
	for _, c := range AllCapabilities() {
		if cfg.has(c) {
			on = append(on, string(c))
		} else {
			off = append(off, string(c))
		}
	}
	slices.Sort(on)
	slices.Sort(off)
	run := report.FromGinkgo(reg.captured, reg.cat, report.Meta{
		Endpoint: cfg.Endpoint, World: cfg.World.Name, WorldDigest: cfg.World.Digest(),
		ToolVersion: version.Tool, Capabilities: on, CapabilitiesOff: off, DryRun: cfg.DryRun,
	})
	for _, why := range reg.env.cleanupFailures {
		run.Fail("OK-DELETED", "cleanup", why)
	}
	for _, why := range reg.env.sideEffectFailures {
		run.Fail(sideEffectID, "a refusal's leftover", why)
	}
	if cfg.Exhaustive {
		run.Exhaustive = reg.env.exhaustiveTally()
	}
	return run
}

// Execute is Run that returns the per-requirement results for reports:
// Register, then Ginkgo's RunSpecs with the configuration's filter, seed and
// output settings. Notes for people (a capability that prevents cleanup) go
// to notes.
func Execute(t ginkgo.GinkgoTestingT, cfg Config, notes io.Writer) (*report.Run, error) {
	// Ginkgo runs one suite per process; a second RunSpecs would end the
	// process. The guard is Ginkgo's own constraint, made an error.
	if !ranOnce.CompareAndSwap(false, true) {
		return nil, harness("suite.Run or suite.Execute was already called in this process, and Ginkgo runs one suite per process: call it once per test binary (one TestConformance), or add conform's specs to your own Ginkgo suite with suite.Register")
	}
	reg, err := Register(cfg, notes)
	if err != nil {
		return nil, err
	}
	cfg = reg.cfg
	gomega.RegisterFailHandler(GomegaFail)
	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	suiteConfig.LabelFilter = cfg.LabelFilter
	suiteConfig.RandomizeAllSpecs = cfg.RandomizeAll || suiteConfig.RandomizeAllSpecs
	if cfg.Seed != 0 {
		suiteConfig.RandomSeed = cfg.Seed
	}
	// The run's own deadline fails what is left; Ginkgo's is a backstop.
	suiteConfig.Timeout = cfg.Deadline + time.Minute
	reporterConfig.Verbose = cfg.Verbose || reporterConfig.Verbose
	// A dry run skips every spec on purpose: its plan is the report.
	reporterConfig.SilenceSkips = cfg.DryRun || reporterConfig.SilenceSkips
	reporterConfig.NoColor = cfg.NoColor || reporterConfig.NoColor || !terminal.Colour(os.Stdout)
	ginkgo.RunSpecs(t, "conform: AddSnapshotRepo conformance", suiteConfig, reporterConfig)
	return reg.Results(), nil
}

// ranOnce is set by the first Execute of the process.
var ranOnce atomic.Bool

// CheckLabelFilter refuses a filter that does not parse, names a label no
// spec carries, or selects no spec: a run that tests nothing, or less than
// was asked, must not look like one that passed. Every spec is labelled with
// its requirement's ID and level.
func CheckLabelFilter(filter string) error {
	if filter == "" {
		return nil
	}
	cat, err := catalogue.Builtin()
	if err != nil {
		return harness("%w", err)
	}
	valid := []string{catalogue.Must, catalogue.Should}
	for _, r := range cat.Requirements {
		valid = append(valid, r.ID)
	}
	listing := "the labels are MUST, SHOULD and the requirement IDs: " + strings.Join(valid[2:], ", ")
	match, err := types.ParseLabelFilter(filter)
	if err != nil {
		return harness("label filter %q does not parse: %w (want e.g. MUST, or \"RULE-VERSION || AUTH-V3\")", filter, err)
	}
	// Regular expressions (/…/) and label sets (key: value) are Ginkgo's
	// own business; bare words must be labels.
	if !strings.ContainsAny(filter, "/:") {
		for _, word := range labelWords.FindAllString(filter, -1) {
			if !slices.ContainsFunc(valid, func(v string) bool { return strings.EqualFold(v, word) }) {
				return harness("label filter %q: no spec is labelled %s%s; %s", filter, word, suggest.DidYouMean(word, valid), listing)
			}
		}
	}
	for _, r := range cat.Requirements {
		if match([]string{r.ID, r.Level}) {
			return nil
		}
	}
	return harness("label filter %q selects no spec; %s", filter, listing)
}

// labelWords are the words of a label filter that could be labels.
var labelWords = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9._-]*`)

// probe asks the endpoint anything: an implementation that does not answer
// is one harness error, not forty failures.
func probe(cfg Config) error {
	c := apiclient.New(cfg.Endpoint, *cfg.Credentials, cfg.Signature, cfg.Timeout)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	_, err := c.Do(ctx, apiclient.Describe("es-cn-conformprobe"))
	var tooLarge *apiclient.TooLargeError
	if err != nil && !errors.As(err, &tooLarge) {
		// An answer larger than conform reads is still an answer: the specs
		// say what is wrong with it.
		return harness("endpoint %s does not answer: %w (is the implementation running at that URL?)", cfg.Endpoint, err)
	}
	return nil
}
