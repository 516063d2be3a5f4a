package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/snaprepo/conform/internal/terminal"
	"github.com/snaprepo/conform/planning"
)

const planHelp = `Usage: conform plan [--world FILE] [--upgrade ID=VERSION[@KERNEL][,…]] [-o text|json]

Says what planned upgrades do to the shared snapshot repositories that
already exist (the world's repos): which references the rules refuse once
the upgrades are applied, in which order to apply them so that no reference
breaks in between (a destination before the sources it references), and how
many new pairs the upgrades make possible. Without --upgrade: the references
the rules refuse already today (a source upgraded out of band).

An upgrade names the instance, its new esVersion and, optionally after @, its
new kernel (the 6.7.0 kernel rule moves with kernels). Upgrades are judged in
the order given unless the references demand another.

Examples:
  conform plan --world fleet.yaml
  conform plan --world fleet.yaml --upgrade es-cn-a=7.10.0_with_X-Pack
  conform plan --world fleet.yaml --upgrade es-cn-a=8.5_with_X-Pack,es-cn-b=8.5_with_X-Pack -o json
  conform plan --world fleet.yaml --upgrade es-cn-k=6.7.0_with_X-Pack@ali1.3.0

Exit codes:
  0  nothing breaks       1  a reference breaks (after, or in between)
  2  bad input or usage (an instance not in the world, a version that is
     none, a downgrade)
  3  nothing breaks, but a reference is undecided (a 6.7.0 kernel unknown)

Flags:
`

// planTextLimit is how many references of each kind the text output lists:
// a fleet's plan can name a million; -o json lists every one.
const planTextLimit = 50

// upgradeFlags collects --upgrade, repeatable and comma-separated.
type upgradeFlags []string

func (u *upgradeFlags) String() string { return strings.Join(*u, ",") }
func (u *upgradeFlags) Set(s string) error {
	*u = append(*u, s)
	return nil
}

// planJSON is -o json of conform plan. Its field names are read by other
// tools: never rename one.
type planJSON struct {
	Breaks     []findingJSON   `json:"breaks"`
	Order      []string        `json:"order"`
	NewPairs   int             `json:"newPairs"`
	References int             `json:"references"`
	Undecided  []findingJSON   `json:"undecided"`
	InBetween  []transientJSON `json:"inBetween"`
	Holds      bool            `json:"holds"`
	ExitCode   int             `json:"exitCode"`
}

type findingJSON struct {
	Destination string `json:"destination"`
	Source      string `json:"source"`
	Rule        string `json:"rule"`
	Message     string `json:"message"`
	Today       string `json:"today"`
}

type transientJSON struct {
	findingJSON
	BrokenBy string `json:"brokenBy"`
	MendedBy string `json:"mendedBy"`
}

// planOptions are the flags of conform plan.
type planOptions struct {
	world, output string
	upgrades      upgradeFlags
}

// planFlags is conform plan's flag set, bound into o.
func planFlags(o *planOptions) *flag.FlagSet {
	fs := newFlags("plan")
	fs.StringVar(&o.world, "world", "", "world file, YAML or JSON, with the repos that exist (default: the built-in world)")
	fs.Var(&o.upgrades, "upgrade", "`ID=VERSION[@KERNEL]`, comma-separated or repeated: the planned upgrades, in the order you would apply them")
	bindOutput(fs, &o.output)
	return fs
}

func runPlan(args []string, stdout, stderr io.Writer) int {
	var o planOptions
	if code, stop := parseFlags(planFlags(&o), planHelp, args, stdout, stderr); stop {
		return code
	}
	worldPath, output, ups := o.world, o.output, o.upgrades
	upgrades, err := planning.ParseUpgrades(ups.String())
	if err != nil {
		fmt.Fprintf(stderr, "conform plan: --upgrade: %v\n", err)
		return exitUsage
	}
	w, err := loadWorld(worldPath)
	if err != nil {
		fmt.Fprintf(stderr, "conform plan: %v\n", err)
		return exitUsage
	}
	p, err := planning.Make(w, upgrades)
	if err != nil {
		fmt.Fprintf(stderr, "conform plan: --upgrade: %v\n", err)
		return exitUsage
	}
	code := exitForPlan(p)
	if output == "json" {
		if err := json.NewEncoder(stdout).Encode(planAsJSON(p, code)); err != nil {
			fmt.Fprintf(stderr, "conform plan: writing JSON: %v\n", err)
			return exitUsage
		}
		return code
	}
	printPlan(stdout, w.Name, len(upgrades), p, code)
	return code
}

func exitForPlan(p *planning.Plan) int {
	switch {
	case len(p.Breaks) > 0 || len(p.InBetween) > 0:
		return exitFailed
	case len(p.Undecided) > 0:
		return exitUndecided
	}
	return exitOK
}

func planAsJSON(p *planning.Plan, code int) planJSON {
	out := planJSON{Breaks: findingsJSON(p.Breaks), Order: append([]string{}, p.Order...), NewPairs: p.NewPairs,
		References: p.References, Undecided: findingsJSON(p.Undecided), InBetween: []transientJSON{}, Holds: p.Holds(), ExitCode: code}
	for _, t := range p.InBetween {
		out.InBetween = append(out.InBetween, transientJSON{findingJSON: findingOf(t.Finding), BrokenBy: t.BrokenBy, MendedBy: t.MendedBy})
	}
	return out
}

func findingsJSON(fs []planning.Finding) []findingJSON {
	out := make([]findingJSON, 0, len(fs))
	for _, f := range fs {
		out = append(out, findingOf(f))
	}
	return out
}

func findingOf(f planning.Finding) findingJSON {
	return findingJSON{Destination: f.Destination, Source: f.Source, Rule: f.Rule, Message: f.Message, Today: f.Today}
}

// printPlan writes the plan for people: each kind of finding, at most
// planTextLimit of each, then the order, the new pairs and the outcome.
func printPlan(w io.Writer, name string, upgrades int, p *planning.Plan, code int) {
	var b strings.Builder
	fmt.Fprintf(&b, "plan for %s: %s, %s\n", terminal.Line(name), plural(p.References, "existing reference"), plural(upgrades, "upgrade"))
	list := func(mark, what string, n int, line func(i int) string) {
		for i := range min(n, planTextLimit) {
			fmt.Fprintf(&b, "  %s %s\n", mark, line(i))
		}
		if n > planTextLimit {
			fmt.Fprintf(&b, "  … and %d more %s (-o json lists every one)\n", n-planTextLimit, what)
		}
	}
	today := func(f planning.Finding) string {
		if f.Today == "compatible" {
			return ""
		}
		return " (" + f.Today + " already today)"
	}
	list("✗", "breaks", len(p.Breaks), func(i int) string {
		f := p.Breaks[i]
		return terminal.Line(fmt.Sprintf("%s ← %s refused%s: %s %s", f.Destination, f.Source, today(f), f.Rule, f.Message))
	})
	list("~", "broken in between", len(p.InBetween), func(i int) string {
		t := p.InBetween[i]
		return terminal.Line(fmt.Sprintf("%s ← %s broken from %s's upgrade until %s's: %s %s", t.Destination, t.Source, t.BrokenBy, t.MendedBy, t.Rule, t.Message))
	})
	list("?", "undecided", len(p.Undecided), func(i int) string {
		f := p.Undecided[i]
		return terminal.Line(fmt.Sprintf("%s ← %s undecided: %s %s", f.Destination, f.Source, f.Rule, f.Message))
	})
	if len(p.Order) > 0 {
		fmt.Fprintf(&b, "order: %s\n", strings.Join(p.Order, ", "))
		fmt.Fprintf(&b, "new pairs the upgrades make possible: %d\n", p.NewPairs)
	}
	switch {
	case len(p.InBetween) > 0:
		fmt.Fprintf(&b, "BREAKS: no order of these upgrades keeps every reference: %d broken in between, %d refused after (exit %d)\n", len(p.InBetween), len(p.Breaks), code)
	case len(p.Breaks) > 0 && upgrades == 0:
		fmt.Fprintf(&b, "BREAKS: the rules refuse %s already today (exit %d)\n", plural(len(p.Breaks), "reference"), code)
	case len(p.Breaks) > 0:
		fmt.Fprintf(&b, "BREAKS: the rules refuse %s after the upgrades (exit %d)\n", plural(len(p.Breaks), "reference"), code)
	case len(p.Undecided) > 0:
		fmt.Fprintf(&b, "UNDECIDED: nothing breaks, but %s cannot be decided: give the kernels (exit %d)\n", plural(len(p.Undecided), "reference"), code)
	case upgrades == 0:
		fmt.Fprintf(&b, "nothing breaks: every reference holds today (exit %d)\n", code)
	default:
		fmt.Fprintf(&b, "nothing breaks: every reference holds after the upgrades and in between, in this order (exit %d)\n", code)
	}
	io.WriteString(w, b.String())
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
