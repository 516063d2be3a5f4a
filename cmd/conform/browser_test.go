package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/internal/refserver"
	"github.com/snaprepo/conform/world"
)

// browser starts headless Chromium (Debian's package). Without it the test
// is skipped, unless CONFORM_REQUIRE_BROWSER is set, as .ci/run sets it
// after installing Chromium: there a missing browser is a failure.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CONFORM_CHROMIUM")
	if path == "" {
		path, _ = exec.LookPath("chromium")
	}
	if path == "" {
		if os.Getenv("CONFORM_REQUIRE_BROWSER") != "" {
			t.Fatal("chromium is not installed but CONFORM_REQUIRE_BROWSER is set: apt-get install chromium")
		}
		t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it and runs this test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 1400))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// screenshot saves the page under the test's temporary directory, and under
// CONFORM_SCREENSHOT_DIR when set (how docs/ pictures are made).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{t.TempDir(), os.Getenv("CONFORM_SCREENSHOT_DIR")} {
		if dir != "" {
			if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func visible(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	js := `(function(){var e=document.querySelector(` + jsString(sel) + `); return !!e && e.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true});})()`
	return eval[bool](t, ctx, js)
}

// eval runs JavaScript in the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// do runs steps that return nothing.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// text is the rendered text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestHTMLReportOfAFaultyImplementationInABrowser(t *testing.T) {
	ctx := browser(t)
	ts := httptest.NewServer(referenceWith(t, refserver.Faults{IgnoreRegion: true}))
	defer ts.Close()
	dir := t.TempDir()
	page, badge := filepath.Join(dir, "report.html"), filepath.Join(dir, "badge.svg")
	code, out, rep := conformRun(t, "--endpoint", ts.URL, "--html-report", page, "--badge", badge)
	if code != 1 || !slices.Contains(rep.Failed, "RULE-SAME-REGION") {
		t.Fatalf("exit %d, failed %v\n%s", code, rep.Failed, out)
	}
	// What the page must show, from the JSON report of the same run.
	cat, _ := catalogue.Builtin()
	musts, mustsFailed := 0, 0
	for _, r := range cat.Requirements {
		if r.Level == catalogue.Must {
			musts++
			if slices.Contains(rep.Failed, r.ID) {
				mustsFailed++
			}
		}
	}
	html, _ := os.ReadFile(page)
	for _, remote := range []string{"http://", "https://"} {
		for _, attr := range []string{"src=\"" + remote, "href=\"" + remote, "url(" + remote} {
			if strings.Contains(string(html), attr) {
				t.Errorf("the report fetches from the network: %s", attr)
			}
		}
	}

	do(t, ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("#req-RULE-SAME-REGION")))
	mustFailed := eval[string](t, ctx, `document.querySelector("#count-must .n-failed").dataset.n`)
	verdict := text(t, ctx, "#verdict")
	rowClass := eval[string](t, ctx, `document.getElementById("req-RULE-SAME-REGION").className`)
	if mustFailed != strconv.Itoa(mustsFailed) || !strings.Contains(verdict, "RULE-SAME-REGION") || !strings.Contains(rowClass, "failed") {
		t.Errorf("MUST failed %q, verdict %q, row class %q", mustFailed, verdict, rowClass)
	}
	if visible(t, ctx, "#req-RULE-SAME-REGION details pre") {
		t.Error("the failure details are open before a click")
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#req-RULE-SAME-REGION summary")), chromedp.WaitVisible(chromedp.CSS("#req-RULE-SAME-REGION details pre")))
	details := text(t, ctx, "#req-RULE-SAME-REGION details pre")
	if !strings.Contains(details, "request: POST /openapi/instances/") || !strings.Contains(details, "answer: 200") {
		t.Errorf("expanded details lack the request and answer:\n%s", details)
	}
	screenshot(t, ctx, "report.png")

	if !visible(t, ctx, "#req-OK-CREATED") {
		t.Fatal("a passed row is hidden before filtering")
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#only-failures")))
	if visible(t, ctx, "#req-OK-CREATED") || !visible(t, ctx, "#req-RULE-SAME-REGION") {
		t.Error("the filter does not show only failures")
	}
	screenshot(t, ctx, "report-failures.png")

	// On a phone's width nothing runs off the side.
	do(t, ctx, chromedp.EmulateViewport(390, 844), chromedp.Click(chromedp.CSS("#only-failures")))
	if overflow := eval[float64](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); overflow > 1 {
		t.Errorf("at 390 px the page is %v px too wide", overflow)
	}
	screenshot(t, ctx, "report-phone.png")
	do(t, ctx, chromedp.EmulateReset())

	// The badge: valid SVG, rendered by the browser, red, naming the MUSTs passed.
	svg, _ := os.ReadFile(badge)
	if err := xml.Unmarshal(svg, new(struct{ XMLName xml.Name })); err != nil {
		t.Fatalf("badge is not XML: %v", err)
	}
	do(t, ctx, chromedp.Navigate("file://"+badge))
	value := eval[string](t, ctx, `document.getElementById("value").textContent`)
	width := eval[float64](t, ctx, `document.documentElement.getBBox().width`)
	if value != fmt.Sprintf("MUST %d/%d", musts-mustsFailed, musts) || width < 60 || !strings.Contains(string(svg), "#e05d44") {
		t.Errorf("badge value %q, width %v", value, width)
	}
}

func TestFleetPictureInABrowser(t *testing.T) {
	ctx := browser(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "fleet.html")
	if code, _, errOut := conform(t, "check", "--matrix", "--html", page); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// The built-in world's groups are small: labelled tables, one per
	// (region, account) group, readable without a mouse.
	do(t, ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("table.grid")))
	if n := eval[int](t, ctx, `document.querySelectorAll("table.grid").length`); n != 3 {
		t.Fatalf("%d labelled tables, want one per (region, account) group", n)
	}
	// Row 0 is the oldest destination (5.5.3), the last column the newest source
	// (8.13): refused by RULE-VERSION, named on the row, the column and the cell.
	row := text(t, ctx, "#group-1 tbody tr:first-child th")
	col := text(t, ctx, "#group-1 thead th:last-child")
	cell := eval[string](t, ctx, `document.querySelector("#group-1 tbody tr:first-child td:last-child").title`)
	mark := text(t, ctx, "#group-1 tbody tr:first-child td:last-child")
	if row != "es-cn-cf553src00000001 (5.5.3_with_X-Pack)" || col != "es-cn-cf813dest0000001 (8.13)" || mark != "✗" ||
		!strings.Contains(cell, "es-cn-cf553src00000001 (5.5.3_with_X-Pack) ← es-cn-cf813dest0000001 (8.13): refused by RULE-VERSION") {
		t.Errorf("row %q, column %q, cell %q %q", row, col, mark, cell)
	}
	counts := text(t, ctx, "#counts-1")
	w, err := world.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	group := 0
	for _, in := range w.Instances {
		if in.Account == w.Accounts[0].ID && in.Region == w.Region {
			group++
		}
	}
	if !strings.Contains(counts, fmt.Sprintf("of %d ordered pairs", group*(group-1))) || !strings.Contains(counts, " compatible · ") {
		t.Errorf("counts %q", counts)
	}
	screenshot(t, ctx, "fleet.png")
}

// Existing references are outlined on their cells, those the rules refuse
// marked ✗, and the page and each group count them.
func TestTheFleetPictureMarksExistingReferences(t *testing.T) {
	ctx := browser(t)
	path := writeTemp(t, string(bytesTrimmedWorld())+"\n  - instance: es-cn-cf79src00000001\n    repoPath: es-cn-cf710dest0000001\n")
	page := filepath.Join(t.TempDir(), "fleet.html")
	if code, _, errOut := conform(t, "check", "--world", path, "--matrix", "--html", page); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	do(t, ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("table.grid")))
	if got := text(t, ctx, "#n-existing") + "/" + text(t, ctx, "#n-broken"); got != "2/1" {
		t.Errorf("the page counts %s existing/refused references; want 2/1", got)
	}
	holds := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("td.existing.holds")).map(function(c){return c.textContent + " " + c.title})`)
	broken := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("td.existing.broken")).map(function(c){return c.textContent + " " + c.title})`)
	if len(holds) != 1 || !strings.HasPrefix(holds[0], "● es-cn-cf813dest0000001 (8.13) ← es-cn-cf85src00000001") || !strings.HasSuffix(holds[0], " · an existing reference") {
		t.Errorf("references that hold: %q", holds)
	}
	if len(broken) != 1 || !strings.HasPrefix(broken[0], "✗ es-cn-cf79src00000001 (7.9_with_X-Pack) ← es-cn-cf710dest0000001") || !strings.Contains(broken[0], "refused by RULE-VERSION · an existing reference the rules refuse") {
		t.Errorf("references the rules refuse: %q", broken)
	}
	counts := eval[string](t, ctx, `Array.from(document.querySelectorAll(".counts")).map(function(c){return c.textContent}).join("\n")`)
	if !strings.Contains(counts, " · 2 existing references, 1 refused by the rules") {
		t.Errorf("no group counts its refused reference:\n%s", counts)
	}
}

// Groups past the labelled size are drawn cell by cell, and hovering names
// the pair and the deciding rule.
func TestMidSizeGroupsAreCanvasesWithHover(t *testing.T) {
	ctx := browser(t)
	page := oneGroupFleetPage(t, 100)
	do(t, ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("canvas.cells")))
	rect := eval[map[string]float64](t, ctx, `(function(){var c=document.querySelector("canvas.cells"); c.scrollIntoView(); var r=c.getBoundingClientRect(); return {x:r.left, y:r.top, w:r.width, n:100};})()`)
	px := rect["w"] / rect["n"]
	do(t, ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, rect["x"]+99*px+px/2, rect["y"]+px/2), chromedp.WaitVisible(chromedp.CSS("#tip")))
	if tip := text(t, ctx, "#tip"); !strings.Contains(tip, " ← ") || !strings.Contains(tip, ": ") {
		t.Errorf("hover says %q", tip)
	}
}

func TestLargeGroupsGetAPerVersionSummary(t *testing.T) {
	ctx := browser(t)
	page := oneGroupFleetPage(t, 300)
	do(t, ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("table.summary")))
	cells := eval[int](t, ctx, `document.querySelectorAll("table.summary td[title]").length`)
	canvases := eval[int](t, ctx, `document.querySelectorAll("canvas").length`)
	if cells == 0 || canvases != 0 {
		t.Errorf("summary cells %d, canvases %d", cells, canvases)
	}
}

// oneGroupFleetPage writes a synthetic world of one (region, account) group
// of n instances and draws its matrix with check --matrix --html, returning
// the page's path.
func oneGroupFleetPage(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	data, err := json.Marshal(world.Synthetic(1, 1, n, 3))
	if err != nil {
		t.Fatal(err)
	}
	fleet := filepath.Join(dir, "fleet.json")
	if err := os.WriteFile(fleet, data, 0o644); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "fleet.html")
	if code, _, errOut := conform(t, "check", "--world", fleet, "--matrix", "--html", page); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	return page
}
