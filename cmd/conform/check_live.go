package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/internal/terminal"
	"github.com/snaprepo/conform/live"
)

// liveOptions are the flags of conform check --live.
type liveOptions struct {
	region, regions, endpoint, profile string
	regionEndpoints                    endpointFlags
	timeout                            time.Duration
	dest, source                       string
	alternatives, apply, json          bool
}

// bindPlatformFlags binds the flags every command that reads the platform
// takes — endpoints, profile, timeout — into lo; prefix opens each help
// line ("with --live: " where the flag needs --live).
func bindPlatformFlags(fs *flag.FlagSet, lo *liveOptions, prefix string) {
	lo.regionEndpoints = endpointFlags{}
	fs.StringVar(&lo.endpoint, "endpoint", "", prefix+"endpoint URL of --region (default https://elasticsearch.<region>.aliyuncs.com)")
	fs.Var(lo.regionEndpoints, "region-endpoint", prefix+"`REGION=URL`: the endpoint of another region (repeatable)")
	fs.StringVar(&lo.profile, "profile", "", prefix+"aliyun CLI profile or credentials-file profile to use")
	fs.DurationVar(&lo.timeout, "timeout", 10*time.Second, prefix+"timeout of each call")
}

// endpointFlags collects repeated --region-endpoint REGION=URL.
type endpointFlags map[string]string

// String is the endpoints as flags write them, REGION=URL, comma-separated
// ("" when none, so that help shows no Go map).
func (e endpointFlags) String() string {
	var out []string
	for r, u := range e {
		out = append(out, r+"="+u)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func (e endpointFlags) Set(v string) error {
	region, url, ok := strings.Cut(v, "=")
	if !ok || region == "" || url == "" {
		return fmt.Errorf("%q is not REGION=URL (e.g. cn-beijing=https://elasticsearch-vpc.cn-beijing.aliyuncs.com)", v)
	}
	e[region] = url
	return nil
}

// liveJSON is -o json of a live check: the offline fields plus where the
// facts came from, what was looked up, and what --apply did.
type liveJSON struct {
	checkJSON
	Credentials string      `json:"credentials"`
	Facts       []live.Fact `json:"facts"`
	Notes       []string    `json:"notes"`
	Apply       *applyJSON  `json:"apply,omitempty"`
}

type applyJSON struct {
	Action    string `json:"action"` // created, exists, refused, declined
	RequestID string `json:"requestId,omitempty"`
	Message   string `json:"message"`
}

// liveFailure is the exit code and sentence of a live check that has no
// verdict: exit 4 when the lookup failed, 2 for anything else.
func liveFailure(stderr io.Writer, err error) int {
	return lookupFailure(stderr, "check", "no verdict", err)
}

// lookupFailure is how a command that reads the platform ends on err:
// exit 4 when the lookup failed (saying what that cost: outcome), 2 for
// anything else (no credentials, say).
func lookupFailure(stderr io.Writer, command, outcome string, err error) int {
	var le *live.Error
	if errors.As(err, &le) {
		fmt.Fprintf(stderr, "conform %s: the lookup failed, %s: %s\n", command, outcome, terminal.Line(err.Error()))
		return exitLookup
	}
	fmt.Fprintf(stderr, "conform %s: %s\n", command, terminal.Line(err.Error()))
	return exitUsage
}

// liveResult is what a live check found: the verdict, where each fact came
// from, what the search says, what --apply did.
type liveResult struct {
	verdict  checks.Verdict
	credLine string
	facts    []live.Fact
	notes    []string
	applied  *applyJSON
}

func runLiveCheck(o liveOptions, stdout, stderr io.Writer) int {
	p, credLine, err := connect(o)
	if err != nil {
		return liveFailure(stderr, err)
	}
	dest, err := p.Describe(o.region, o.dest)
	if err != nil {
		return liveFailure(stderr, err)
	}
	if o.alternatives {
		return liveAlternatives(p, o, dest, credLine, stdout, stderr)
	}
	res, err := lookUp(p, o, dest)
	if err != nil {
		return liveFailure(stderr, err)
	}
	res.credLine = credLine
	if err := renderLive(stdout, o.json, res); err != nil {
		return liveFailure(stderr, err)
	}
	if res.applied != nil && res.applied.Action == "declined" {
		return exitFailed // nothing was created
	}
	return exitForDecision(res.verdict.Decision())
}

// connect loads the credentials and makes the platform client, aimed at the
// endpoints the flags name.
func connect(o liveOptions) (*live.Platform, string, error) {
	creds, from, err := live.LoadCredentials(o.profile)
	if err != nil {
		return nil, "", fmt.Errorf("%w (--profile NAME names a profile)", err)
	}
	endpoints := map[string]string{}
	for r, u := range o.regionEndpoints {
		endpoints[r] = u
	}
	if o.endpoint != "" {
		endpoints[o.region] = o.endpoint
	}
	p := live.New(live.Options{Credentials: creds, Endpoints: endpoints, Timeout: o.timeout})
	return p, fmt.Sprintf("%s (AccessKey %s)", from, acs.MaskKeyID(creds.AccessKeyID)), nil
}

// lookUp finds the source, decides, and applies when asked.
func lookUp(p *live.Platform, o liveOptions, dest *live.Described) (liveResult, error) {
	var res liveResult
	if dest == nil {
		res.notes = append(res.notes, fmt.Sprintf("destination %s is not visible in %s to these credentials", o.dest, o.region))
	} else {
		res.facts = append(res.facts, dest.Facts...)
	}
	source, where, err := findSource(p, o)
	if err != nil {
		return res, err
	}
	res.notes = append(res.notes, where...)
	if source != nil {
		res.facts = append(res.facts, source.Facts...)
	}
	policy := checks.DefaultPolicy()
	res.verdict = policy.Evaluate(o.dest, instanceOf(dest), o.source, instanceOf(source))
	if o.apply {
		if res.applied, err = apply(p, o, &res.verdict); err != nil {
			return res, err
		}
	}
	return res, nil
}

// renderLive writes a live check's result as JSON or as text for people.
func renderLive(stdout io.Writer, asJSON bool, res liveResult) error {
	v := &res.verdict
	if asJSON {
		out := liveJSON{checkJSON: verdictJSON(v), Credentials: res.credLine, Facts: res.facts, Notes: res.notes, Apply: res.applied}
		if out.Facts == nil {
			out.Facts = []live.Fact{}
		}
		return json.NewEncoder(stdout).Encode(out)
	}
	printVerdict(stdout, v, terminal.Colour(stdout))
	// Every byte from the platform (values, RequestIds, messages) is
	// escaped: none can rewrite the terminal or start a line of its own.
	fmt.Fprintf(stdout, "credentials: %s\n", terminal.Line(res.credLine))
	for _, n := range res.notes {
		fmt.Fprintf(stdout, "note: %s\n", terminal.Line(n))
	}
	if len(res.facts) > 0 {
		fmt.Fprintln(stdout, "facts:")
		for _, f := range res.facts {
			fmt.Fprintf(stdout, "  %s %s = %s  (from %s)\n", terminal.Line(f.Instance), f.Field, terminal.Line(f.Value), terminal.Line(f.Source))
		}
	}
	if res.applied != nil {
		fmt.Fprintf(stdout, "apply: %s\n", terminal.Line(res.applied.Message))
	}
	return nil
}

func instanceOf(d *live.Described) *checks.Instance {
	if d == nil {
		return nil
	}
	return &d.Instance
}

// findSource looks for the source in the destination's region, then in
// the other regions, and says which case it is. Only the lookup in the
// destination's region can fail the check: a source not visible there is
// refused whatever the search finds, so the search only explains, and its
// failures become notes. With explicit endpoints (--endpoint,
// --region-endpoint), no other endpoint is contacted.
func findSource(p *live.Platform, o liveOptions) (*live.Described, []string, error) {
	src, err := p.Describe(o.region, o.source)
	if err != nil {
		return nil, nil, err
	}
	if src != nil {
		return src, []string{fmt.Sprintf("source %s is in %s, visible to these credentials", o.source, o.region)}, nil
	}
	confined := o.endpoint != "" || len(o.regionEndpoints) > 0
	var regions []string
	if o.regions != "" {
		for _, r := range strings.Split(o.regions, ",") {
			if r = strings.TrimSpace(r); r != "" {
				regions = append(regions, r)
			}
		}
	} else if regions, err = p.Regions(o.region); err != nil {
		return nil, []string{fmt.Sprintf("source %s is not visible in %s; the other regions were not searched: listing them failed: %v", o.source, o.region, err)}, nil
	}
	var notes, unsearched, failed []string
	searched := []string{o.region}
	for _, r := range regions {
		if slices.Contains(searched, r) || slices.Contains(unsearched, r) {
			continue
		}
		if _, named := o.regionEndpoints[r]; confined && !named {
			unsearched = append(unsearched, r)
			continue
		}
		found, err := p.Describe(r, o.source)
		if err != nil {
			failed = append(failed, r)
			notes = append(notes, fmt.Sprintf("region %s not searched: %v", r, err))
			continue
		}
		searched = append(searched, r)
		if found != nil {
			notes = append(notes, fmt.Sprintf("source %s is not in %s: it exists in region %s (found by DescribeInstance at %s)", o.source, o.region, r, p.Endpoint(r)))
			return found, notes, nil
		}
	}
	if len(unsearched) > 0 {
		notes = append(notes, fmt.Sprintf("regions not searched, having no endpoint: %s (add --region-endpoint REGION=URL to search them)", strings.Join(unsearched, ", ")))
	}
	what := "it is another account's instance, or no such instance exists"
	if len(unsearched)+len(failed) > 0 {
		what = "it may be in a region not searched, another account's instance, or no instance at all"
	}
	notes = append(notes, fmt.Sprintf("source %s is not visible to this account in any region searched (%s): %s", o.source, strings.Join(searched, ", "), what))
	return nil, notes, nil
}

// apply creates the repository when the verdict allows it, idempotently, and
// confirms it with ListSnapshotReposByInstanceId.
func apply(p *live.Platform, o liveOptions, v *checks.Verdict) (*applyJSON, error) {
	if v.Decision() != checks.Compatible {
		return &applyJSON{Action: "refused", Message: fmt.Sprintf("not calling AddSnapshotRepo: the verdict is %s", v.Decision())}, nil
	}
	repos, err := p.Repos(o.region, o.dest)
	if err != nil {
		return nil, err
	}
	if slices.Contains(repos, o.source) {
		return &applyJSON{Action: "exists", Message: fmt.Sprintf("%s already references the repository of %s: nothing added", o.dest, o.source)}, nil
	}
	reqID, err := p.Add(o.region, o.dest, o.source)
	var declined *live.DeclinedError
	if errors.As(err, &declined) {
		return &applyJSON{Action: "declined", RequestID: declined.RequestID,
			Message: fmt.Sprintf("declined: AddSnapshotRepo answered Result false (RequestId %s; the API reference: \"false: creation failed\"): the platform refused a pair conform's rules accept — it knows a reason conform does not; nothing was created", declined.RequestID)}, nil
	}
	if err != nil {
		return nil, err
	}
	if repos, err = p.Repos(o.region, o.dest); err != nil {
		return nil, err
	}
	if !slices.Contains(repos, o.source) {
		return nil, &live.Error{Op: "confirming AddSnapshotRepo", Region: o.region, Endpoint: p.Endpoint(o.region), Kind: "unexpected",
			Detail: fmt.Sprintf("AddSnapshotRepo answered success (RequestId %s) but ListSnapshotReposByInstanceId of %s does not list %s", reqID, o.dest, o.source)}
	}
	return &applyJSON{Action: "created", RequestID: reqID,
		Message: fmt.Sprintf("created: %s now references the repository of %s (AddSnapshotRepo RequestId %s), confirmed by ListSnapshotReposByInstanceId", o.dest, o.source, reqID)}, nil
}

type candidateJSON struct {
	Instance       string `json:"instance"`
	Version        string `json:"version"`
	Verdict        string `json:"verdict"`
	DecidingRule   string `json:"decidingRule,omitempty"`
	Message        string `json:"message"`
	PlatformOffers bool   `json:"platformOffers"`
	Agree          bool   `json:"agree"`
}

// liveAlternatives lists every instance of the region with its verdict for
// the destination, beside what ListAlternativeSnapshotRepos offers, and
// flags every disagreement: one of the two is wrong.
func liveAlternatives(p *live.Platform, o liveOptions, dest *live.Described, credLine string, stdout, stderr io.Writer) int {
	if dest == nil {
		fmt.Fprintf(stderr, "conform check: destination %s is not visible in %s to these credentials (InstanceNotFound)\n", o.dest, o.region)
		return exitFailed
	}
	rows, disagree, err := compareAlternatives(p, o, dest)
	if err != nil {
		return liveFailure(stderr, err)
	}
	renderAlternatives(stdout, o, dest, credLine, rows, disagree)
	if disagree > 0 {
		return exitFailed
	}
	return exitOK
}

// compareAlternatives is every instance of the region with conform's verdict
// for dest beside what ListAlternativeSnapshotRepos offers, and how many
// disagree.
func compareAlternatives(p *live.Platform, o liveOptions, dest *live.Described) ([]candidateJSON, int, error) {
	all, err := p.ListInstances(o.region)
	if err != nil {
		return nil, 0, err
	}
	offered, err := p.Alternatives(o.region, o.dest)
	if err != nil {
		return nil, 0, err
	}
	policy := checks.DefaultPolicy()
	var rows []candidateJSON
	listed := map[string]bool{}
	disagree := 0
	for i := range all {
		src := &all[i].Instance
		listed[src.ID] = true
		v := policy.Evaluate(o.dest, &dest.Instance, src.ID, src)
		row := candidateJSON{Instance: src.ID, Version: src.Version.Raw, Verdict: v.Decision().String(), PlatformOffers: slices.Contains(offered, src.ID)}
		if k := v.Deciding(); k >= 0 {
			row.DecidingRule, row.Message = checks.Rules()[k].ID, v.Message(k)
		}
		row.Agree = v.Decision() == checks.Undecided || (v.Decision() == checks.Compatible) == row.PlatformOffers
		if !row.Agree {
			disagree++
		}
		rows = append(rows, row)
	}
	for _, id := range offered {
		if !listed[id] {
			rows = append(rows, candidateJSON{Instance: id, Verdict: "unknown", Message: "offered by ListAlternativeSnapshotRepos but not listed by ListInstance in " + o.region, PlatformOffers: true})
			disagree++
		}
	}
	return rows, disagree, nil
}

// renderAlternatives writes the comparison as JSON or as an aligned table.
func renderAlternatives(stdout io.Writer, o liveOptions, dest *live.Described, credLine string, rows []candidateJSON, disagree int) {
	if o.json {
		json.NewEncoder(stdout).Encode(struct {
			Destination   string          `json:"destination"`
			Region        string          `json:"region"`
			Credentials   string          `json:"credentials"`
			Candidates    []candidateJSON `json:"candidates"`
			Disagreements int             `json:"disagreements"`
		}{o.dest, o.region, credLine, rows, disagree})
		return
	}
	fmt.Fprintf(stdout, "sources for destination %s (%s) in %s — conform's verdict beside ListAlternativeSnapshotRepos:\n", o.dest, dest.Instance.Version, o.region)
	width := len("instance")
	for _, r := range rows {
		width = max(width, len(r.Instance))
	}
	fmt.Fprintf(stdout, "  %-*s  %-20s  %-10s  %-12s  %s\n", width, "instance", "version", "conform", "platform", "")
	for _, r := range rows {
		platform := "not offered"
		if r.PlatformOffers {
			platform = "offered"
		}
		flag := ""
		if !r.Agree {
			flag = "DISAGREE: " + r.Message
		} else if r.Verdict != "compatible" {
			flag = r.DecidingRule
		}
		fmt.Fprintf(stdout, "  %-*s  %-20s  %-10s  %-12s  %s\n", width, terminal.Line(r.Instance), terminal.Line(r.Version), r.Verdict, platform, terminal.Line(flag))
	}
	fmt.Fprintf(stdout, "credentials: %s\n%d disagreement(s)\n", terminal.Line(credLine), disagree)
}
