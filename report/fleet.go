package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/world"
)

// MaxCellGroup is the largest (region, account) group drawn cell by cell;
// a larger one gets a per-version summary instead.
const MaxCellGroup = 200

// MaxLabelledGroup is the largest group drawn as a labelled table: every
// row and column named by instance and version, every cell readable
// without a mouse, and printable. Larger groups, up to MaxCellGroup, are
// drawn on a canvas.
const MaxLabelledGroup = 60

// Cell codes of the fleet picture: compatible, compatible with a restore
// warning, undecided, the instance itself; a refused cell is 'A' plus the
// index in checks.Rules of the deciding rule.
const (
	cellCompatible = 'c'
	cellWarned     = 'w'
	cellUndecided  = 'u'
	cellSelf       = 's'
)

func cellOf(v *checks.Verdict) byte {
	switch v.Decision() {
	case checks.Compatible:
		if v.Warned() {
			return cellWarned
		}
		return cellCompatible
	case checks.Undecided:
		return cellUndecided
	}
	return byte('A' + v.Deciding())
}

// fleetGroup is one (region, account) group as the page's data carries it.
type fleetGroup struct {
	Region    string `json:"region"`
	Account   string `json:"account"`
	Instances []any  `json:"instances,omitempty"` // [id, version index] in version order
	// Rows run-length encode each destination's row of cells: "c12H3".
	Rows []string `json:"rows,omitempty"`
	// Summary, for groups too large for cells: per (destination version,
	// source version) the pairs and how many are compatible.
	Size     int          `json:"size"`
	Versions []int        `json:"versions,omitempty"`
	Summary  [][]pairStat `json:"summary,omitempty"`
	// Existing marks the references that exist (a world's repos), for
	// groups drawn cell by cell: [row, column, 1 when the rules refuse
	// it]. Refs and Broken count them for every group, those whose source
	// is in another group too.
	Existing [][3]int `json:"existing,omitempty"`
	Refs     int      `json:"refs"`
	Broken   int      `json:"broken"`
}

type pairStat struct {
	Pairs      int `json:"p"`
	Compatible int `json:"c"`
}

// Progress is told how many instances of how many are done.
type Progress func(done, total int)

// WriteFleetHTML writes the fleet as one self-contained page: per region and
// account, destinations against sources ordered by version, each cell
// coloured by verdict; hovering a cell names the pair and the deciding rule.
// The cells are run-length encoded and drawn on canvases as they scroll
// into view, so 100,000 instances stay a few megabytes and open quickly.
//
// existing are the references that exist (a world's repos): their cells are
// outlined, those the rules refuse marked, and each group counts both.
func WriteFleetHTML(w io.Writer, title string, instances []checks.Instance, p *checks.Policy, existing []world.Repo, progress Progress) error {
	groups := checks.Groups(instances)
	byID := make(map[string]*checks.Instance, len(instances))
	for i := range instances {
		byID[instances[i].ID] = &instances[i]
	}
	sourcesOf := map[string][]string{}
	for _, r := range existing {
		sourcesOf[r.Instance] = append(sourcesOf[r.Instance], r.RepoPath)
	}
	totalRefs, totalBroken := 0, 0
	slices.SortFunc(groups, func(a, b checks.Group) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.Account, b.Account))
	})

	versionIndex := map[string]int{}
	var versions []string
	var versionOrder []*checks.Instance
	indexOf := func(in *checks.Instance) int {
		if i, ok := versionIndex[in.Version.Raw]; ok {
			return i
		}
		versionIndex[in.Version.Raw] = len(versions)
		versions = append(versions, in.Version.Raw)
		versionOrder = append(versionOrder, in)
		return len(versions) - 1
	}
	var out []fleetGroup
	done := 0
	var row []byte
	for _, grp := range groups {
		members := grp.Members
		slices.SortStableFunc(members, func(a, b *checks.Instance) int {
			return cmp.Or(a.Version.Compare(b.Version), cmp.Compare(a.ID, b.ID))
		})
		g := fleetGroup{Region: grp.Region, Account: grp.Account, Size: len(members)}
		if len(members) <= MaxCellGroup {
			for _, d := range members {
				g.Instances = append(g.Instances, []any{d.ID, indexOf(d)})
				row = row[:0]
				for _, s := range members {
					c := byte(cellSelf)
					if s != d {
						v := p.Evaluate(d.ID, d, s.ID, s)
						c = cellOf(&v)
					}
					row = append(row, c)
				}
				g.Rows = append(g.Rows, runLength(row))
			}
		} else {
			g.summarize(members, p, indexOf)
		}
		g.markExisting(members, byID, sourcesOf, p)
		totalRefs += g.Refs
		totalBroken += g.Broken
		out = append(out, g)
		done += len(members)
		if progress != nil {
			progress(done, len(instances))
		}
	}
	// The versions legend in version order, not first-seen order.
	order := make([]int, len(versions))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return versionOrder[a].Version.Compare(versionOrder[b].Version) })
	var rules []string
	for _, r := range checks.Rules() {
		rules = append(rules, r.ID)
	}
	data, err := json.Marshal(map[string]any{"versions": versions, "rules": rules, "groups": out, "maxCells": MaxCellGroup, "maxLabelled": MaxLabelledGroup})
	if err != nil {
		return fmt.Errorf("encoding the fleet: %w", err)
	}
	counts := map[string]int{"groups": len(out), "instances": len(instances), "existing": totalRefs, "broken": totalBroken}
	return fleetPage.Execute(w, map[string]any{"Title": title, "Data": template.JS(data), "Counts": counts, "Refusals": refusals()})
}

// markExisting counts the references whose destination is in the group,
// and marks the cells of those whose source is too.
func (g *fleetGroup) markExisting(members []*checks.Instance, byID map[string]*checks.Instance, sourcesOf map[string][]string, p *checks.Policy) {
	if len(sourcesOf) == 0 {
		return
	}
	cells := g.Rows != nil
	var pos map[string]int
	if cells {
		pos = make(map[string]int, len(members))
		for j, m := range members {
			pos[m.ID] = j
		}
	}
	for i, d := range members {
		for _, src := range sourcesOf[d.ID] {
			v := p.Evaluate(d.ID, d, src, byID[src])
			broken := 0
			if v.Decision() == checks.Refused {
				broken = 1
			}
			g.Refs++
			g.Broken += broken
			if j, ok := pos[src]; ok && cells {
				g.Existing = append(g.Existing, [3]int{i, j, broken})
			}
		}
	}
}

// refusal is how the platform answers one rule's refusal, and how much of
// that is documented (apierror.Error.Answer).
type refusal struct {
	Rule, Title, Answer string
	Documented          bool
}

func refusals() []refusal {
	var out []refusal
	for _, r := range checks.Rules() {
		if r.Refusal.Code == "" {
			continue
		}
		out = append(out, refusal{Rule: r.ID, Title: r.Title, Answer: r.Refusal.Answer(), Documented: r.Refusal.Documented})
	}
	return out
}

// runLength encodes cells as code+count runs: "cccH" is "c3H1".
func runLength(cells []byte) string {
	var b strings.Builder
	for i := 0; i < len(cells); {
		j := i
		for j < len(cells) && cells[j] == cells[i] {
			j++
		}
		b.WriteByte(cells[i])
		b.WriteString(strconv.Itoa(j - i))
		i = j
	}
	return b.String()
}

// summarize counts, per (destination version, source version), the pairs
// and the compatible ones, from the matrix: work of the answer's size.
func (g *fleetGroup) summarize(members []*checks.Instance, p *checks.Policy, indexOf func(*checks.Instance) int) {
	local := map[int]int{} // global version index → summary index
	for _, m := range members {
		vi := indexOf(m)
		if _, ok := local[vi]; !ok {
			local[vi] = len(g.Versions)
			g.Versions = append(g.Versions, vi)
		}
	}
	n := len(g.Versions)
	perVersion := make([]int, n)
	for _, m := range members {
		perVersion[local[indexOf(m)]]++
	}
	g.Summary = make([][]pairStat, n)
	for i := range g.Summary {
		g.Summary[i] = make([]pairStat, n)
		for j := range g.Summary[i] {
			g.Summary[i][j].Pairs = perVersion[i] * perVersion[j]
			if i == j {
				g.Summary[i][j].Pairs -= perVersion[i] // no instance pairs with itself
			}
		}
	}
	// Counted by class, not pair by pair: a 100,000-instance group writes a
	// table of a few versions, so computing it must not cost n² verdicts.
	counts := p.CompatibleCounts(members, func(in *checks.Instance) int { return local[indexOf(in)] }, n)
	for i := range counts {
		for j, c := range counts[i] {
			g.Summary[i][j].Compatible = c
		}
	}
}

var fleetPage = template.Must(template.New("fleet").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0 auto; max-width: 1200px; padding: 16px; }
h1 { font-size: 1.3em; margin: 0 0 4px; } h2 { font-size: 1.05em; margin: 22px 0 4px; }
.meta { color: #57606a; margin: 0 0 10px; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; vertical-align: -2px; margin-right: 4px; border-radius: 2px; }
canvas { border: 1px solid #d0d7de; image-rendering: pixelated; cursor: crosshair; }
#tip { position: fixed; pointer-events: none; background: #24292f; color: #fff; padding: 4px 8px; border-radius: 4px; font-size: 12px; display: none; max-width: 480px; z-index: 9; }
table.summary { border-collapse: collapse; font-size: 12px; }
table.summary td, table.summary th { border: 1px solid #d0d7de; padding: 2px 5px; text-align: center; }
.axis { color: #57606a; font-size: 12px; }
table.grid { border-collapse: collapse; font-size: 11px; margin-bottom: 6px; }
table.grid th { font-weight: normal; text-align: left; white-space: nowrap; padding: 1px 4px; color: #1f2328; }
table.grid thead th { vertical-align: bottom; height: 240px; padding: 0; }
table.grid thead th span { display: inline-block; transform: rotate(-60deg); transform-origin: 0 100%; width: 18px; white-space: nowrap; }
table.grid td { width: 16px; height: 16px; text-align: center; color: #fff; border: 1px solid #fff; padding: 0; }
.counts { font-size: 12px; color: #57606a; margin: 2px 0 10px; }
.scroll { overflow-x: auto; max-width: 100%; }
@media print { body { max-width: none; } table.grid td, .legend i { -webkit-print-color-adjust: exact; print-color-adjust: exact; } #tip { display: none !important; } }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta"><span id="n-instances">{{.Counts.instances}}</span> instances in <span id="n-groups">{{.Counts.groups}}</span> (region, account) groups; <span id="n-existing">{{.Counts.existing}}</span> existing references, <span id="n-broken">{{.Counts.broken}}</span> of them refused by the rules. Rows: destinations; columns: sources; both ordered by version. Groups of up to 60 are tables with every row and column named; larger ones are drawn cell by cell (hover a cell for the pair and the deciding rule), and the largest summarised per version.</p>
<p class="legend"><span><i style="background:#2da44e"></i>✓ compatible</span><span><i style="background:#d4a72c"></i>! compatible, restore warning</span><span><i style="background:#cf222e"></i>✗ refused</span><span><i style="background:#8250df"></i>? undecided</span><span><i style="background:#eaeef2"></i>· itself</span><span><i style="background:#2da44e;outline:2px solid #1f2328;outline-offset:-2px"></i>● an existing reference (outlined; ✗ when the rules refuse it)</span></p>
<div id="groups"></div>
<h2>How the platform answers each refusal</h2>
<p class="meta">The API reference documents two error codes, InstanceNotFound and InstanceActivating; for every other refusal the platform's code is not documented, and the name below is conform's (or the platform's from another operation), not a promise of the API's.</p>
<table class="summary refusals"><thead><tr><th>rule</th><th>documented</th><th>answer</th></tr></thead><tbody>
{{range .Refusals}}<tr><td>{{.Rule}} ({{.Title}})</td><td>{{if .Documented}}yes{{else}}no{{end}}</td><td style="text-align:left">{{.Answer}}</td></tr>
{{end}}</tbody></table>
<div id="tip"></div>
<script type="application/json" id="fleet-data">{{.Data}}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById("fleet-data").textContent);
  var colours = { c: "#2da44e", w: "#d4a72c", u: "#8250df", s: "#eaeef2" };
  var words = { c: "compatible", w: "compatible, with a restore warning", u: "undecided: a fact is missing", s: "itself" };
  function colour(code) { return colours[code] || "#cf222e"; }
  function word(code) { return words[code] || ("refused by " + data.rules[code.charCodeAt(0) - 65]); }
  function refsText(g) { return g.refs ? " · " + g.refs + " existing reference" + (g.refs === 1 ? "" : "s") + ", " + g.broken + " refused by the rules" : ""; }
  function decode(rle) {
    var out = [], re = /([A-Za-z])(\d+)/g, m;
    while ((m = re.exec(rle))) { for (var i = 0; i < +m[2]; i++) out.push(m[1]); }
    return out;
  }
  var tip = document.getElementById("tip"), root = document.getElementById("groups");
  var lazy = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { if (e.isIntersecting) { e.target.draw(); lazy.unobserve(e.target); } });
  }, { rootMargin: "400px" });
  data.groups.forEach(function (g, gi) {
    var h = document.createElement("h2");
    h.textContent = g.region + " · account " + g.account + " · " + g.size + (g.size === 1 ? " instance" : " instances");
    root.appendChild(h);
    if (g.rows && g.instances.length <= data.maxLabelled) {
      // Small groups: a labelled table, readable without a mouse and in print.
      var cells = g.rows.map(decode), n = g.instances.length, count = {}, exists = {};
      (g.existing || []).forEach(function (e) { exists[e[0] + "," + e[1]] = e[2] ? "broken" : "holds"; });
      var label = function (x) { return x[0] + " (" + data.versions[x[1]] + ")"; };
      var marks = { c: "✓", w: "!", u: "?", s: "·" };
      var html = '<thead><tr><th>destination ↓ · source →</th>';
      g.instances.forEach(function (s) { html += "<th><span>" + label(s) + "</span></th>"; });
      html += "</tr></thead><tbody>";
      cells.forEach(function (row, i) {
        html += "<tr><th>" + label(g.instances[i]) + "</th>";
        row.forEach(function (code, j) {
          var kind = code.length === 1 && marks[code] ? code : "r";
          if (code !== "s") { count[kind] = (count[kind] || 0) + 1; }
          var ex = exists[i + "," + j], mark = marks[code] || "✗";
          if (ex === "holds") { mark = "●"; }
          html += '<td' + (ex ? ' class="existing ' + ex + '"' : "") + ' style="background:' + colour(code) + (code === "s" ? ";color:#57606a" : "") + (ex ? ";outline:2px solid #1f2328;outline-offset:-2px" : "") + '" title="' + label(g.instances[i]) + " ← " + label(g.instances[j]) + ": " + word(code) + (ex ? (ex === "broken" ? " · an existing reference the rules refuse" : " · an existing reference") : "") + '">' + mark + "</td>";
        });
        html += "</tr>";
      });
      var t = document.createElement("table");
      t.className = "grid"; t.id = "group-" + gi;
      t.innerHTML = html + "</tbody>";
      var wrap = document.createElement("div");
      wrap.className = "scroll";
      wrap.appendChild(t);
      root.appendChild(wrap);
      var legend = document.createElement("p");
      legend.className = "counts"; legend.id = "counts-" + gi;
      legend.textContent = (count.c || 0) + " compatible · " + (count.w || 0) + " with a restore warning · " + (count.r || 0) + " refused · " + (count.u || 0) + " undecided, of " + (n * (n - 1)) + " ordered pairs" + refsText(g);
      root.appendChild(legend);
    } else if (g.rows) {
      var n = g.instances.length, px = Math.max(2, Math.min(14, Math.floor(560 / n)));
      var c = document.createElement("canvas");
      c.width = c.height = n * px; c.className = "cells"; c.id = "group-" + gi;
      c.dataset.group = gi;
      c.draw = function () {
        var ctx = c.getContext("2d");
        g.cells = g.rows.map(decode);
        g.cells.forEach(function (row, i) { row.forEach(function (code, j) { ctx.fillStyle = colour(code); ctx.fillRect(j * px, i * px, px, px); }); });
        ctx.fillStyle = "#1f2328";
        (g.existing || []).forEach(function (e) { var q = Math.max(1, Math.floor(px / 4)); ctx.fillRect(e[1] * px + q, e[0] * px + q, px - 2 * q, px - 2 * q); });
        c.dataset.drawn = "1";
      };
      c.addEventListener("mousemove", function (ev) {
        if (!g.cells) { c.draw(); }
        var r = c.getBoundingClientRect(), i = Math.floor((ev.clientY - r.top) / px), j = Math.floor((ev.clientX - r.left) / px);
        if (i < 0 || j < 0 || i >= n || j >= n) { tip.style.display = "none"; return; }
        var d = g.instances[i], s = g.instances[j];
        var ex = (g.existing || []).filter(function (e) { return e[0] === i && e[1] === j; })[0];
        tip.textContent = d[0] + " (" + data.versions[d[1]] + ") ← " + s[0] + " (" + data.versions[s[1]] + "): " + word(g.cells[i][j]) + (ex ? (ex[2] ? " · an existing reference the rules refuse" : " · an existing reference") : "");
        tip.style.left = (ev.clientX + 12) + "px"; tip.style.top = (ev.clientY + 12) + "px"; tip.style.display = "block";
      });
      c.addEventListener("mouseleave", function () { tip.style.display = "none"; });
      root.appendChild(c);
      lazy.observe(c);
      if (g.refs) { var cc = document.createElement("p"); cc.className = "counts"; cc.id = "counts-" + gi; cc.textContent = refsText(g).slice(3); root.appendChild(cc); }
    } else {
      var p = document.createElement("p");
      p.className = "axis";
      p.textContent = "Over " + data.maxCells + " instances: per version, how many (destination, source) pairs are compatible.";
      root.appendChild(p);
      var t = document.createElement("table"), head = "<tr><th>destination \\ source</th>";
      t.className = "summary";
      g.versions.forEach(function (v) { head += "<th>" + data.versions[v] + "</th>"; });
      var html = head + "</tr>";
      g.summary.forEach(function (row, i) {
        html += "<tr><th>" + data.versions[g.versions[i]] + "</th>";
        row.forEach(function (st, j) {
          var share = st.p ? st.c / st.p : 0, bg = st.p === 0 ? "#fff" : share === 1 ? "#2da44e" : share === 0 ? "#cf222e" : "#d4a72c";
          html += '<td style="background:' + bg + ';color:#fff" title="' + data.versions[g.versions[i]] + " ← " + data.versions[g.versions[j]] + ": " + st.c + " of " + st.p + ' pairs compatible">' + (st.p ? st.c + "/" + st.p : "") + "</td>";
        });
        html += "</tr>";
      });
      t.innerHTML = html;
      root.appendChild(t);
      if (g.refs) { var sc = document.createElement("p"); sc.className = "counts"; sc.id = "counts-" + gi; sc.textContent = refsText(g).slice(3); root.appendChild(sc); }
    }
  });
})();
</script>
</body>
</html>
`))
