// Package suite is the conformance suite for the AddSnapshotRepo API of
// Alibaba Cloud Elasticsearch: Ginkgo specs that drive any implementation
// over HTTP and report per requirement (docs/requirements.md).
//
// A vendor runs it from their own go test:
//
//	func TestConformance(t *testing.T) {
//		w, _ := world.Load("testdata/world.yaml")
//		suite.Run(t, suite.Config{Endpoint: "http://127.0.0.1:9280", World: w})
//	}
//
// and conform run calls the same Run from main.
package suite

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/world"
)

// Capability is an optional operation of the API an implementation may lack.
type Capability string

// The capabilities, one per companion operation, plus signature checking.
const (
	CapList         Capability = "list"         // ListSnapshotReposByInstanceId
	CapDelete       Capability = "delete"       // DeleteSnapshotRepo
	CapAlternatives Capability = "alternatives" // ListAlternativeSnapshotRepos
	CapDescribe     Capability = "describe"     // DescribeInstance
	CapAuth         Capability = "auth"         // signature checking
	CapInstances    Capability = "instances"    // ListInstance and DescribeRegions
)

// AllCapabilities is every capability, the default.
func AllCapabilities() []Capability {
	return []Capability{CapList, CapDelete, CapAlternatives, CapDescribe, CapAuth, CapInstances}
}

var capabilityOps = map[Capability]string{
	CapList: "ListSnapshotReposByInstanceId", CapDelete: "DeleteSnapshotRepo",
	CapAlternatives: "ListAlternativeSnapshotRepos", CapDescribe: "DescribeInstance", CapAuth: "signature checking",
	CapInstances: "ListInstance and DescribeRegions",
}

// ParseCapabilities reads a comma-separated list such as "list,delete".
func ParseCapabilities(s string) ([]Capability, error) {
	var out []Capability
	for _, part := range strings.Split(s, ",") {
		c := Capability(strings.TrimSpace(part))
		if c == "" {
			continue
		}
		if _, ok := capabilityOps[c]; !ok {
			var names []string
			for _, known := range AllCapabilities() {
				names = append(names, string(known))
			}
			return nil, fmt.Errorf("capability %q is not one of %s", c, strings.Join(names, ", "))
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Config is everything a run needs.
type Config struct {
	// Endpoint is the implementation's base URL, e.g. http://127.0.0.1:9280.
	Endpoint string
	// World is the state the implementation holds. Required.
	World *world.World
	// Region the endpoint serves; default World.Region.
	Region string
	// Credentials sign the requests; default: from the environment
	// (ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET), else the world's first
	// AccessKey that has a secret.
	Credentials *acs.Credentials
	// Capabilities the implementation has; nil means all.
	Capabilities []Capability
	// Signature is the default scheme, v3 unless set.
	Signature apiclient.Signature
	// Timeout bounds each request; default 10 s.
	Timeout time.Duration
	// Deadline bounds the whole run; default 10 min. Specs that would start
	// after it fail at once, "not run".
	Deadline time.Duration
	// Exhaustive adds one spec per ordered (destination, source) pair.
	Exhaustive bool
	// Stateful is how many random sequences STATE-MODEL runs; default 20.
	Stateful int
	// Thorough adds the slow attacks: nonces replayed after 61 seconds and
	// after 5 minutes (a nonce must be remembered as long as its date is
	// accepted), and longer and more STATE-MODEL sequences.
	Thorough bool
	// HistoryReport, when set, is where a concurrent history that is not
	// linearizable is drawn (porcupine's visualisation, one HTML file).
	HistoryReport string
	// Settle is how long a list read after a write may take to show it: the
	// API reference promises no read-after-write, so checks poll until the
	// list shows the write or Settle passes. Zero demands read-after-write;
	// DefaultConfig and conform run give DefaultSettle.
	Settle time.Duration
	// Parallel is how many pairs the exhaustive run has in flight at once;
	// default the number of CPUs, at most MaxParallel.
	Parallel int
	// LabelFilter is a Ginkgo label filter, e.g. "MUST" or "RULE-VERSION".
	LabelFilter string
	// RandomizeAll runs specs in random order; Seed fixes it.
	RandomizeAll bool
	Seed         int64
	// DryRun sends no request and needs no endpoint: every spec the world
	// can exercise ends "planned" at its first request, the others say what
	// the world lacks.
	DryRun bool
	// Verbose makes Ginkgo report every spec.
	Verbose bool
	// NoColor turns Ginkgo's colours off.
	NoColor bool
	// Progress, when set, is told after each spec how many of how many ran.
	Progress func(done, total int)
}

// HarnessError is a problem with the run itself — bad configuration, a world
// that cannot be used, an endpoint that does not answer — found before any
// spec runs. It wraps the error that caused it, if any.
type HarnessError struct {
	Msg string
	err error
}

// Error is the problem, with what to do about it.
func (e *HarnessError) Error() string { return e.Msg }

// Unwrap is the error the problem comes from, or nil.
func (e *HarnessError) Unwrap() error { return errors.Unwrap(e.err) }

// harness is a HarnessError formatted as fmt.Errorf formats, %w included.
func harness(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &HarnessError{Msg: err.Error(), err: err}
}

// has reports whether the implementation has capability c.
func (c *Config) has(cap Capability) bool {
	return c.Capabilities == nil || slices.Contains(c.Capabilities, cap)
}

// normalize fills defaults and checks the configuration; every problem is
// a HarnessError.
func (c *Config) normalize() error {
	if c.World == nil {
		return harness("no world: Config.World is nil (give it world.Load's or world.Builtin's world)")
	}
	*c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Endpoint == "" && c.DryRun {
		c.Endpoint = "http://dry-run.invalid"
	}
	if c.Endpoint == "" {
		return harness("no endpoint: Config.Endpoint is empty (want the implementation's base URL, e.g. http://127.0.0.1:9280)")
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return harness("endpoint %q is not an http(s) URL (want e.g. http://127.0.0.1:9280)", c.Endpoint)
	}
	if c.Region == "" {
		c.Region = c.World.Region
	}
	if c.Credentials == nil {
		creds, err := credentialsFor(c.World)
		if err != nil {
			return err
		}
		c.Credentials = creds
	}
	if _, _, ok := c.World.KeyOwner(c.Credentials.AccessKeyID); !ok {
		return harness("AccessKeyId %s is not an AccessKey of any account in %s: add it under accounts[].accessKeys so the suite knows whose instances are whose", acs.MaskKeyID(c.Credentials.AccessKeyID), c.World.Name)
	}
	return nil
}

// DefaultSettle is the settle time of conform run and DefaultConfig: long
// enough for a replicated store to show a write, short against a run.
const DefaultSettle = 2 * time.Second

// MaxSettle bounds Settle: a list that takes longer to show a write is not
// one a client can use.
const MaxSettle = 5 * time.Minute

// The defaults of the run's settings, DefaultConfig's values: one
// definition, read by conform run's flags.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultDeadline = 10 * time.Minute
	DefaultStateful = 20
)

// DefaultConfig is a configuration with every default of conform run set:
// a vendor's test fills in Endpoint and World.
func DefaultConfig() Config {
	return Config{Timeout: DefaultTimeout, Deadline: DefaultDeadline, Stateful: DefaultStateful, Settle: DefaultSettle,
		Parallel: runtime.NumCPU(), Signature: apiclient.SignV3}
}

// withDefaults is c with each zero setting that has a default (all but
// Settle, whose zero demands read-after-write) given DefaultConfig's value.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Parallel == 0 {
		c.Parallel = d.Parallel
	}
	if c.Stateful == 0 {
		c.Stateful = d.Stateful
	}
	if c.Deadline == 0 {
		c.Deadline = d.Deadline
	}
	if c.Timeout == 0 {
		c.Timeout = d.Timeout
	}
	if c.Signature == "" {
		c.Signature = d.Signature
	}
	return c
}

// MaxParallel bounds Parallel: more requests in flight at once would measure
// the implementation's patience with a flood (and conform's memory), not its
// answers.
const MaxParallel = 256

// Validate checks the run's settings and changes nothing — the one place
// they are checked, for the CLI (before it starts anything) and for
// suite.Run alike. A zero setting stands for its default (DefaultConfig).
// The world and the endpoint are checked when the run starts.
func (c *Config) Validate() error {
	switch {
	case c.Parallel < 0:
		return harness("parallel %d is negative (want e.g. %d)", c.Parallel, runtime.NumCPU())
	case c.Parallel > MaxParallel:
		return harness("parallel %d is more pairs in flight than conform sends at once (at most %d; want e.g. %d)", c.Parallel, MaxParallel, runtime.NumCPU())
	case c.Stateful < 0:
		return harness("stateful %d is negative (want e.g. %d)", c.Stateful, DefaultStateful)
	case c.Settle < 0 || c.Settle > MaxSettle:
		return harness("settle %s is outside 0 to %s (want e.g. %s, or 0 to demand read-after-write)", c.Settle, MaxSettle, DefaultSettle)
	case c.Deadline < 0:
		return harness("deadline %s is negative (want e.g. 10m)", c.Deadline)
	case c.Timeout < 0:
		return harness("timeout %s is negative (want e.g. 10s)", c.Timeout)
	}
	if c.Signature != "" {
		if _, err := apiclient.ParseSignature(string(c.Signature)); err != nil {
			return harness("%w", err)
		}
	}
	return CheckLabelFilter(c.LabelFilter)
}

// WorldCredentials is the world's first AccessKey that has a secret, or nil.
func WorldCredentials(w *world.World) *acs.Credentials {
	for _, a := range w.Accounts {
		for _, k := range a.AccessKeys {
			if k.Secret != "" {
				return &acs.Credentials{AccessKeyID: k.ID, AccessKeySecret: k.Secret}
			}
		}
	}
	return nil
}

// credentialsFor picks the signing credentials: the environment first, then
// the world's first AccessKey with a secret.
func credentialsFor(w *world.World) (*acs.Credentials, error) {
	id, secret := os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
	if id != "" || secret != "" {
		if id == "" || secret == "" {
			return nil, harness("set both ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or neither")
		}
		return &acs.Credentials{AccessKeyID: id, AccessKeySecret: secret, SecurityToken: os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN")}, nil
	}
	if c := WorldCredentials(w); c != nil {
		return c, nil
	}
	return nil, harness("no credentials: %s holds no AccessKey secret; set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET", w.Name)
}

// IsHarness reports whether err is a HarnessError.
func IsHarness(err error) bool {
	var h *HarnessError
	return errors.As(err, &h)
}
