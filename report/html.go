package report

import (
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"

	"github.com/snaprepo/conform/catalogue"
)

// htmlFamily is one family's rows in the HTML report.
type htmlFamily struct {
	Name string
	Rows []htmlRow
}

type htmlRow struct {
	Requirement
	Failures []string // the failure messages: requirement, request and answer excerpts
	// Locations are where the requirement's specs are written (file:line),
	// each once.
	Locations []string
}

type htmlCount struct {
	Level                                            string
	Total, Passed, Failed, Skipped, Disabled, NotRun int
}

// WriteHTML writes the run as one self-contained page: inline CSS and a few
// lines of inline JS, nothing fetched. Failures and skips are as visible as
// passes; a failed requirement expands to its failures; a filter shows only
// failures. It reads on a phone and prints.
func (run *Run) WriteHTML(w io.Writer) error {
	byFamily := map[string]*htmlFamily{}
	var families []*htmlFamily
	for _, f := range catalogue.Families() {
		byFamily[f] = &htmlFamily{Name: f}
		families = append(families, byFamily[f])
	}
	for _, r := range run.Requirements {
		row := htmlRow{Requirement: r}
		for _, i := range r.Specs {
			s := run.Specs[i]
			if s.State == Failed {
				row.Failures = append(row.Failures, s.Name+" ("+s.Location+")\n"+s.Reason)
			}
			if s.Location != "" && !slices.Contains(row.Locations, s.Location) {
				row.Locations = append(row.Locations, s.Location)
			}
		}
		byFamily[r.Family].Rows = append(byFamily[r.Family].Rows, row)
	}
	var counts []htmlCount
	for _, level := range []string{catalogue.Must, catalogue.Should} {
		c := run.Counts()[level]
		counts = append(counts, htmlCount{Level: level, Total: c[Passed] + c[Failed] + c[Skipped] + c[Disabled] + c[NotRun],
			Passed: c[Passed], Failed: c[Failed], Skipped: c[Skipped], Disabled: c[Disabled], NotRun: c[NotRun]})
	}
	return htmlPage.Execute(w, map[string]any{
		"Run": run, "Families": families, "Counts": counts, "Failed": run.FailedIDs(), "Incomplete": run.IncompleteIDs(),
		"Started": run.Started.UTC().Format("2006-01-02 15:04:05 UTC"), "Duration": run.Duration.Round(1e6).String(),
	})
}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"lower": strings.ToLower,
	"short": func(s string) string { return short(s, 400) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>conform conformance report — {{.Run.Endpoint}}</title>
<style>
:root { --pass:#1a7f37; --fail:#cf222e; --skip:#9a6700; --dis:#6e7781; --bg:#fff; --fg:#1f2328; --line:#d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1100px; padding: 16px; }
h1 { font-size: 1.4em; margin: 0 0 4px; }
h2 { font-size: 1.1em; margin: 24px 0 6px; text-transform: capitalize; }
.meta { color: #57606a; font-size: .9em; margin: 0 0 12px; word-break: break-all; }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 12px; }
.count { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
.count b { margin-right: 6px; }
.n-passed { color: var(--pass); } .n-failed { color: var(--fail); font-weight: 600; } .n-skipped { color: var(--skip); } .n-disabled, .n-not-run { color: var(--dis); }
.verdict { font-size: 1.05em; font-weight: 600; margin: 4px 0 8px; }
.verdict.bad { color: var(--fail); } .verdict.good { color: var(--pass); }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
col.c-id { width: 15.5em; } col.c-level { width: 5.5em; } col.c-result { width: 6.5em; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { font-size: .85em; color: #57606a; }
td.id { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.state { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: .85em; color: #fff; white-space: nowrap; }
.state.passed { background: var(--pass); } .state.failed { background: var(--fail); } .state.skipped { background: var(--skip); } .state.disabled, .state.not-run { background: var(--dis); }
tr.failed td { background: #ffebe9; }
.reason { color: #57606a; font-size: .9em; margin-top: 4px; }
details { margin-top: 6px; }
summary { cursor: pointer; color: var(--fail); font-weight: 600; }
pre { white-space: pre-wrap; word-break: break-word; background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px; font-size: .8em; max-height: 28em; overflow: auto; }
label.filter { display: inline-flex; gap: 6px; align-items: center; cursor: pointer; user-select: none; }
body.only-failures tr.req:not(.failed), body.only-failures section.family:not(.has-failures) { display: none; }
@media (max-width: 640px) {
  body { padding: 8px; font-size: 14px; }
  thead, colgroup { display: none; }
  table { table-layout: auto; }
  tr.req, tr.req td { display: block; border: 0; padding: 2px 4px; }
  tr.req { border-bottom: 1px solid var(--line); padding: 6px 0; }
}
@media print {
  label.filter { display: none; }
  body.only-failures tr.req, body.only-failures section.family { display: revert; }
  details > pre { display: block; max-height: none; }
  tr { break-inside: avoid; }
}
</style>
</head>
<body>
<h1>conform conformance report</h1>
<p class="meta">endpoint <b id="endpoint">{{.Run.Endpoint}}</b> · world {{.Run.World}} <code>{{.Run.WorldDigest}}</code><br>
conform <b id="tool-version">{{.Run.ToolVersion}}</b> · requirement catalogue <b id="catalogue-version">{{.Run.CatalogueVersion}}</b> · {{.Started}} · took {{.Duration}} · <span id="capabilities">{{.Run.CapabilitiesLine}}</span>{{with .Run.Exhaustive}}<br><span id="exhaustive">{{.Line}}</span>{{end}}</p>
{{if .Failed}}<p class="verdict bad" id="verdict">Failed: {{range $i, $id := .Failed}}{{if $i}}, {{end}}{{$id}}{{end}}</p>{{else if .Incomplete}}<p class="verdict bad" id="verdict">{{.Run.Verdict}}</p>{{else}}<p class="verdict good" id="verdict">Nothing failed</p>{{end}}
<p class="meta" id="exit-codes">Exit codes of conform run: 0 every selected requirement ran and none failed · 1 a requirement failed · 2 harness or usage error · 3 incomplete (a selected MUST requirement skipped or not run) — this run: <b>{{.Run.Outcome}}, exit {{.Run.Outcome.ExitCode}}</b></p>
<div class="counts">
{{range .Counts}}<div class="count" id="count-{{lower .Level}}"><b>{{.Level}}</b>
<span class="n-passed" data-n="{{.Passed}}">{{.Passed}} passed</span> ·
<span class="n-failed" data-n="{{.Failed}}">{{.Failed}} failed</span> ·
<span class="n-skipped" data-n="{{.Skipped}}">{{.Skipped}} skipped</span> ·
<span class="n-disabled" data-n="{{.Disabled}}">{{.Disabled}} disabled</span>{{if .NotRun}} ·
<span class="n-not-run" data-n="{{.NotRun}}">{{.NotRun}} not run</span>{{end}} of {{.Total}}</div>
{{end}}</div>
<label class="filter"><input type="checkbox" id="only-failures"> Show only failures</label>
{{range .Families}}{{if .Rows}}<section class="family{{range .Rows}}{{if eq .State "failed"}} has-failures{{end}}{{end}}" id="family-{{.Name}}">
<h2>{{.Name}}</h2>
<table>
<colgroup><col class="c-id"><col class="c-level"><col><col class="c-result"></colgroup>
<thead><tr><th>requirement</th><th>level</th><th>statement</th><th>result</th></tr></thead>
<tbody>
{{range .Rows}}<tr class="req {{.State}}" id="req-{{.ID}}" data-state="{{.State}}">
<td class="id">{{.ID}}<br><small class="since" title="the catalogue version that introduced it">since {{.Since}}</small>{{range .Locations}}<br><small class="where" title="where a spec of it is written">{{.}}</small>{{end}}</td><td>{{.Level}}</td>
<td>{{.Statement}}{{if .Failures}}
<details class="failures"><summary>{{len .Failures}} failure(s): request and answer</summary>{{range .Failures}}<pre>{{.}}</pre>{{end}}</details>{{else if .Reason}}
<div class="reason">{{short .Reason}}</div>{{end}}</td>
<td><span class="state {{.State}}">{{.State}}</span></td>
</tr>
{{end}}</tbody>
</table>
</section>
{{end}}{{end}}
<script>
(function () {
  var box = document.getElementById("only-failures");
  function apply() { document.body.classList.toggle("only-failures", box.checked); }
  box.addEventListener("change", apply);
  if (location.hash === "#failures") { box.checked = true; }
  apply();
})();
</script>
</body>
</html>
`))

// WriteBadge writes an SVG badge in the usual two-part style:
// "conform | MUST 16/16". The count is of the MUST requirements the run
// holds the implementation to: a capability declared absent takes its
// requirements out (the badge says "without" it). Green when every one of
// them passed; red when one failed, was skipped or did not run, or there
// are none. SHOULD requirements do not change it: the badge counts MUSTs.
func (run *Run) WriteBadge(w io.Writer) error {
	c := run.Counts()[catalogue.Must]
	passed, total := c[Passed], c[Passed]+c[Failed]+c[Skipped]+c[NotRun]
	colour := badgeRed
	if passed == total && total > 0 {
		colour = badgeGreen
	}
	label, value := "conform", fmt.Sprintf("MUST %d/%d", passed, total)
	if len(run.CapabilitiesOff) > 0 {
		// The result holds only for what the vendor declared present.
		value += " · without " + strings.Join(run.CapabilitiesOff, ",")
	}
	// Widths from an average glyph width of 6.5 px at 11 px Verdana, as
	// badge services do it, plus 10 px of padding each side.
	lw, vw := textWidth(label)+10, textWidth(value)+10
	_, err := fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s: %s">
<title>%s: %s</title>
<linearGradient id="s" x2="0" y2="100%%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="%d" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="%d" height="20" fill="#555"/><rect x="%d" width="%d" height="20" fill="%s"/><rect width="%d" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="%d" y="15" fill="#010101" fill-opacity=".3">%s</text><text x="%d" y="14">%s</text>
<text x="%d" y="15" fill="#010101" fill-opacity=".3">%s</text><text x="%d" y="14" id="value">%s</text>
</g>
</svg>
`, lw+vw, label, value, label, value, lw+vw, lw, lw, vw, colour, lw+vw,
		lw/2, label, lw/2, label, lw+vw/2, value, lw+vw/2, value)
	return err
}

// The badge's colours, as badge services draw pass and fail.
const (
	badgeGreen = "#4c1"
	badgeRed   = "#e05d44"
)

func textWidth(s string) int { return int(float64(len(s))*6.5 + 0.5) }
