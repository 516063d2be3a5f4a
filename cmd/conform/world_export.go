package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/internal/terminal"
	"github.com/snaprepo/conform/live"
	"github.com/snaprepo/conform/world"
)

const worldExportHelp = `Usage: conform world export --live --region R [--regions R2,R3] [--endpoint URL] [--profile NAME] > fleet.yaml

Writes, on stdout, a world file (docs/world.md) of the instances the
credentials see in --region and --regions (ListInstance, every page;
DescribeInstance for each 6.7.0 instance, the only ones whose edition and
kernel a rule reads) and the repositories each references
(ListSnapshotReposByInstanceId). Then conform check --matrix, check --html
and plan work offline on the real fleet.

Credentials are those of conform check --live. No secret is written; the
AccessKey ID is masked unless --show-key-id. A reference whose source is not
among the exported instances (another region, another account) is left out,
and stderr says so.

Examples:
  conform world export --live --region cn-hangzhou > fleet.yaml
  conform world export --live --region cn-hangzhou --regions cn-beijing,cn-shanghai > fleet.yaml
  conform plan --world fleet.yaml --upgrade es-cn-a=8.5_with_X-Pack

Exit codes:
  0  written     2  usage error (no credentials included)
  4  the lookup failed (network, credentials, throttling, an answer conform
     does not understand) — nothing written

Flags:
`

// exportAccount is the account ID an exported world gives the caller's
// instances: the API never says which account an AccessKey belongs to.
const exportAccount = "caller"

// exportOptions are the flags of conform world export.
type exportOptions struct {
	lo            liveOptions
	live, showKey bool
}

// worldExportFlags is conform world export's flag set, bound into e.
func worldExportFlags(e *exportOptions) *flag.FlagSet {
	fs := newFlags("world export")
	fs.BoolVar(&e.live, "live", false, "read the fleet from the platform (required: the only source there is)")
	fs.StringVar(&e.lo.region, "region", "", "the first region to export, e.g. cn-hangzhou; the world's region")
	fs.StringVar(&e.lo.regions, "regions", "", "more regions to export, comma-separated")
	bindPlatformFlags(fs, &e.lo, "")
	fs.BoolVar(&e.showKey, "show-key-id", false, "write the AccessKey ID whole (never its secret)")
	return fs
}

func runWorldExport(args []string, stdout, stderr io.Writer) int {
	var e exportOptions
	if code, stop := parseFlags(worldExportFlags(&e), worldExportHelp, args, stdout, stderr); stop {
		return code
	}
	o, isLive, showKey := e.lo, e.live, e.showKey
	switch {
	case !isLive:
		fmt.Fprintln(stderr, "conform world export: give --live: the fleet is read from the platform (see conform world export --help)")
		return exitUsage
	case o.region == "":
		fmt.Fprintln(stderr, "conform world export: --live needs --region REGION (e.g. cn-hangzhou)")
		return exitUsage
	case o.timeout <= 0:
		fmt.Fprintf(stderr, "conform world export: --timeout %s must be positive (e.g. 10s)\n", o.timeout)
		return exitUsage
	}
	regions := []string{o.region}
	for r := range strings.SplitSeq(o.regions, ",") {
		if r = strings.TrimSpace(r); r != "" && !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	p, credLine, err := connect(o)
	if err != nil {
		return exportFailure(stderr, err)
	}
	keyID := acs.MaskKeyID(p.AccessKeyID())
	if showKey {
		keyID = p.AccessKeyID()
	}
	f, notes, err := exportWorld(p, regions, keyID)
	if err != nil {
		return exportFailure(stderr, err)
	}
	var out bytes.Buffer // nothing is written unless everything was read
	comment := fmt.Sprintf("A world exported by conform world export from %s, %s.\nCredentials: %s. No secret is written.", strings.Join(regions, ", "), time.Now().UTC().Format(time.RFC3339), credLine)
	if err := world.Encode(&out, f, comment); err != nil {
		fmt.Fprintf(stderr, "conform world export: %v\n", err)
		return exitUsage
	}
	if _, err := world.Parse("the exported world", out.Bytes()); err != nil {
		fmt.Fprintf(stderr, "conform world export: the platform's answers make no valid world: %v\n", err)
		return exitLookup
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		fmt.Fprintf(stderr, "conform world export: writing: %v\n", err)
		return exitUsage
	}
	for _, n := range notes {
		fmt.Fprintln(stderr, "note: "+terminal.Line(n))
	}
	return exitOK
}

// exportFailure is conform check --live's split: exit 4 when the lookup
// failed, 2 for anything else (no credentials, say).
func exportFailure(stderr io.Writer, err error) int {
	return lookupFailure(stderr, "world export", "nothing written", err)
}

// exportWorld reads every instance of regions and the repositories each
// references. notes say what was left out.
func exportWorld(p *live.Platform, regions []string, keyID string) (*world.File, []string, error) {
	f := &world.File{Region: regions[0], Accounts: []world.Account{{ID: exportAccount, Name: p.Account, AccessKeys: []world.AccessKey{{ID: keyID}}}}}
	var instances []live.Described
	for _, r := range regions {
		ds, err := p.ListInstances(r)
		if err != nil {
			return nil, nil, err
		}
		instances = append(instances, ds...)
	}
	known := map[string]bool{}
	for _, d := range instances {
		rec := world.Record(d.Instance)
		rec.Account = exportAccount
		if !d.Instance.Version.Is(6, 7, 0) {
			// ListInstance does not say the edition; only 6.7.0 instances
			// were described, the only ones whose edition a rule reads.
			rec.Edition = ""
		}
		f.Instances = append(f.Instances, rec)
		known[d.Instance.ID] = true
	}
	var notes []string
	meter := terminal.MeterOnTerminal(os.Stderr, "reading repositories:")
	for i, d := range instances {
		repos, err := p.ReposOf(d.Instance.Region, d.Instance.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range repos {
			if !known[r.Source] {
				notes = append(notes, fmt.Sprintf("%s references %s, which is not among the exported instances (another region or account): left out; add its region with --regions", d.Instance.ID, r.Source))
				continue
			}
			status := r.Status
			if status == world.RepoAvailable {
				status = "" // the default
			}
			f.Repos = append(f.Repos, world.Repo{Instance: d.Instance.ID, RepoPath: r.Source, Status: status})
		}
		meter.Update(i+1, len(instances))
	}
	return f, notes, nil
}
