package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/fixtures"
	"github.com/snaprepo/conform/world"
)

// vendor is a second implementation of the API, written apart from the
// reference server and from conform's rules engine, as a careful vendor
// would write it from the documentation: its own error codes for every
// undocumented refusal, its own RequestId format, its own order of checks,
// lenient parsing. It reads the world only as data, its repositories
// included. The choices the documentation leaves open are switches, so each
// variant is tried.
type vendor struct {
	w       *world.World
	v       *acs.Verifier
	variant vendorVariant

	mu    sync.Mutex
	repos map[string][]string
	// history is, per destination, its lists as they were after each
	// write: a lagging variant answers reads from an older one.
	history map[string][]vendorSnapshot
	seq     int
	// requests counts the requests, for the throttling variant.
	requests atomic.Int64
}

type vendorSnapshot struct {
	at    time.Time
	repos []string
}

// vendorVariant is a set of choices the documentation leaves open.
type vendorVariant struct {
	refuseInactiveSource   bool          // the source's own status is not documented
	repeatIsConflict       bool          // a repeated add: 409 instead of success
	deleteMissingIsOK      bool          // deleting what is not there: success instead of 404
	unknownKeyIs400        bool          // InvalidAccessKeyId.NotFound with 400, not 404
	describesEverything    bool          // DescribeInstance with instanceCategory, extendConfigs (the kernel as aliVersion) and the sample's other fields
	pastLastPageRefused    bool          // ListInstance of a page past the last: 400, not an empty page
	unknownPathIs400       bool          // an unknown path: 400 of a gateway's own code, not 404
	badBodyIs422           bool          // a body without a usable repoPath: 422, not 400
	ownAuthCodes           bool          // every failed verification 403 of its own code: the gateway's codes are not documented for these operations
	bigBodyIs400           bool          // a huge body: 400 instead of 413
	unknownPathIs405       bool          // an unknown path: 405 instead of 404
	echoInput              bool          // refusals' Messages name the IDs the caller sent
	resultFalse            bool          // undocumented refusals (and deleting nothing) answer 200 Result false
	listLag                time.Duration // lists show writes this late
	otherRegionCode        bool          // the caller's instance in another region: its own code, not InstanceNotFound
	alternativesActiveOnly bool          // ListAlternativeSnapshotRepos offers only active sources
	noBodyLimit            bool          // reads bodies of any size (up to 64 MiB here)
	strictContentType      bool          // 415 for a Content-Type other than JSON or a form
	unsignedIs403          bool          // a request without Authorization: 403 of its own code
	itemNamesDestination   bool          // a list item's instanceId is the destination, not the source
	factsSpelledOtherwise  bool          // DescribeInstance: esVersion as major.minor.patch, status capitalised
	throttleEvery          int64         // every Nth request is flow-controlled (400 Throttling.User, or 429 with Retry-After), as a gateway does
	standardMux            bool          // routed by net/http's ServeMux, which redirects a path holding ".." to its clean form before any handler runs
	missingSourceNotFound  bool          // a missing (or another account's) source: InstanceNotFound, read as "the instanceId provided does not exist"
	checksActionHeaders    bool          // x-acs-action must name the operation of the path and x-acs-version be 2017-06-13, when sent
	unknownReadsEmpty      bool          // a list of an instance the caller cannot see is empty, its describe a refusal of the vendor's own code: reads document no InstanceNotFound
	readsAnyRegion         bool          // the caller's instance in another region can be read (describe, lists); only writes are refused
	closesConnections      bool          // Connection: close on every answer, as some proxies do
	latency                time.Duration // every answer this late, as across a network
	busyUnreadable         bool          // lists and alternatives of a destination that is not active are refused (InstanceActivating while activating, as its add and delete)

	// Faults, not choices: a variant with one must fail.
	forgetWorldRepos bool // starts empty, ignoring the world's repositories
}

func newVendor(w *world.World, variant vendorVariant) *vendor {
	secret := func(id string) (string, bool) {
		_, s, ok := w.KeyOwner(id)
		return s, ok && s != ""
	}
	v := &vendor{w: w, v: acs.NewVerifier(secret, time.Now, 1<<16), variant: variant, repos: map[string][]string{}, history: map[string][]vendorSnapshot{}}
	if !variant.forgetWorldRepos {
		for _, r := range w.Repos {
			v.repos[r.Instance] = append(v.repos[r.Instance], r.RepoPath)
		}
	}
	return v
}

// written records dest's list after a write; the caller holds mu.
func (v *vendor) written(dest string) {
	v.history[dest] = append(v.history[dest], vendorSnapshot{at: time.Now(), repos: slices.Clone(v.repos[dest])})
}

// view is dest's list as reads see it: listLag behind the writes. The
// caller holds mu.
func (v *vendor) view(dest string) []string {
	if v.variant.listLag == 0 {
		return v.repos[dest]
	}
	seen := time.Now().Add(-v.variant.listLag)
	h := v.history[dest]
	for i := len(h) - 1; i >= 0; i-- {
		if !h[i].at.After(seen) {
			return h[i].repos
		}
	}
	var initial []string
	if !v.variant.forgetWorldRepos {
		for _, r := range v.w.Repos {
			if r.Instance == dest {
				initial = append(initial, r.RepoPath)
			}
		}
	}
	return initial
}

func (v *vendor) fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"Code": code, "Message": msg, "RequestId": v.requestID()})
}

// refuse answers an undocumented refusal: the vendor's own code, or, in
// the Result false variant, 200 with Result false.
func (v *vendor) refuse(w http.ResponseWriter, code, msg string) {
	if v.variant.resultFalse {
		v.ok(w, false)
		return
	}
	v.fail(w, 400, code, msg)
}

func (v *vendor) ok(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	json.NewEncoder(w).Encode(map[string]any{"RequestId": v.requestID(), "Result": result})
}

// listInstances is ListInstance in this vendor's own order (IDs from the
// last; the order is not documented): the caller's instances of the
// region, page by page.
func (v *vendor) listInstances(w http.ResponseWriter, r *http.Request, account string) {
	page, size := 1, 10
	for name, dst := range map[string]*int{"page": &page, "size": &size} {
		if raw := r.URL.Query().Get(name); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 || (name == "size" && n > 100) {
				v.fail(w, 400, "Vendor.BadPaging", name+" is out of range")
				return
			}
			*dst = n
		}
	}
	var mine []map[string]string
	for i := len(v.w.Instances) - 1; i >= 0; i-- {
		if in := &v.w.Instances[i]; in.Account == account && in.Region == v.w.Region {
			mine = append(mine, map[string]string{"instanceId": in.ID, "esVersion": in.Version.Raw})
		}
	}
	from := min((page-1)*size, len(mine))
	if v.variant.pastLastPageRefused && page > 1 && from >= len(mine) {
		v.fail(w, 400, "Vendor.NoSuchPage", "page is past the last")
		return
	}
	v.ok(w, mine[from:min(from+size, len(mine))])
}

func (v *vendor) requestID() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seq++
	return fmt.Sprintf("vendor-%d-%d", time.Now().UnixNano(), v.seq)
}

// vendorVersion is the vendor's own reading of an esVersion: numbers before the
// first '_', missing parts zero.
func vendorVersion(s string) [3]int {
	var out [3]int
	num, _, _ := strings.Cut(s, "_")
	for i, p := range strings.SplitN(num, ".", 3) {
		out[i], _ = strconv.Atoi(p)
	}
	return out
}

func newer(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return false
}

var kernelDigits = regexp.MustCompile(`\d+(\.\d+)*`)

func kernelOf(k string) [3]int { return vendorVersion(kernelDigits.FindString(k)) }

var idPath = regexp.MustCompile(`^/openapi/instances/([^/]+)(/[a-z-]+)?$`)

// handler is v as it is served: behind net/http's ServeMux in the variant
// that routes with it.
func (v *vendor) handler() http.Handler {
	if !v.variant.standardMux {
		return v
	}
	mux := http.NewServeMux()
	mux.Handle("/", v)
	return mux
}

func (v *vendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	limit := int64(2 << 20)
	if v.variant.noBodyLimit {
		limit = 64 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit))
	if err != nil || int64(len(body)) > limit-1 {
		if v.variant.bigBodyIs400 {
			v.fail(w, 400, "Vendor.BadRequest", "body too large")
		} else {
			v.fail(w, 413, "Vendor.TooLarge", "body too large")
		}
		return
	}
	if n := v.requests.Add(1); v.variant.throttleEvery > 0 && n%v.variant.throttleEvery == 0 {
		if n%(2*v.variant.throttleEvery) == 0 {
			w.Header().Set("Retry-After", "0")
			v.fail(w, http.StatusTooManyRequests, "Throttling", "Request was denied due to flow control.")
		} else {
			v.fail(w, 400, "Throttling.User", "Request was denied due to user flow control.")
		}
		return
	}
	if v.variant.unsignedIs403 && r.Header.Get("Authorization") == "" {
		v.fail(w, 403, "Vendor.NoAuthorization", "sign the request")
		return
	}
	keyID, f := v.v.Verify(r, body)
	if f != nil {
		status := f.Err.Status
		if v.variant.unknownKeyIs400 && status == 404 {
			status = 400
		}
		if v.variant.ownAuthCodes {
			v.fail(w, 403, "Vendor.AuthFailed", "the request's signature does not verify")
			return
		}
		v.fail(w, status, f.Err.Code, f.Err.Message)
		return
	}
	account, _, _ := v.w.KeyOwner(keyID)
	if v.variant.closesConnections {
		w.Header().Set("Connection", "close")
	}
	if v.variant.latency > 0 {
		time.Sleep(v.variant.latency)
	}
	if v.variant.checksActionHeaders {
		if ver := r.Header.Get("x-acs-version"); ver != "" && ver != "2017-06-13" {
			v.fail(w, 400, "InvalidVersion", "bad version "+ver)
			return
		}
		if act := r.Header.Get("x-acs-action"); act != "" {
			want := map[string]string{"GET /openapi/instances": "ListInstance", "GET /openapi/regions": "DescribeRegions"}[r.Method+" "+r.URL.Path]
			if m := idPath.FindStringSubmatch(r.URL.EscapedPath()); m != nil {
				want = map[string]string{"GET ": "DescribeInstance", "POST /snapshot-repos": "AddSnapshotRepo", "GET /snapshot-repos": "ListSnapshotReposByInstanceId", "DELETE /snapshot-repos": "DeleteSnapshotRepo", "GET /alternative-snapshot-repos": "ListAlternativeSnapshotRepos"}[r.Method+" "+m[2]]
			}
			if want != "" && act != want {
				v.fail(w, 400, "InvalidAction", "action "+act+" is not "+want)
				return
			}
		}
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /openapi/instances":
		v.listInstances(w, r, account)
		return
	case "GET /openapi/regions":
		v.ok(w, []map[string]string{{"regionId": v.w.Region, "regionEndpoint": "es." + v.w.Region + ".vendor.example"}})
		return
	}
	m := idPath.FindStringSubmatch(r.URL.EscapedPath())
	if m == nil {
		v.unknown(w)
		return
	}
	id, _ := url.PathUnescape(m[1])
	dest := v.w.VisibleTo(account, id)
	op := r.Method + " " + m[2]
	switch op {
	case "GET ", "POST /snapshot-repos", "GET /snapshot-repos", "DELETE /snapshot-repos", "GET /alternative-snapshot-repos":
	default:
		v.unknown(w)
		return
	}
	if dest != nil && dest.Region != v.w.Region && !(v.variant.readsAnyRegion && r.Method == "GET") {
		if v.variant.otherRegionCode {
			v.fail(w, 400, "Vendor.WrongRegion", "the instance is served by another region's endpoint")
			return
		}
		dest = nil
	}
	if dest == nil {
		if v.variant.unknownReadsEmpty && r.Method == http.MethodGet {
			if op == "GET " {
				v.fail(w, 400, "Vendor.NoSuchInstance", "no such instance")
			} else {
				v.ok(w, []any{})
			}
			return
		}
		v.fail(w, 400, "InstanceNotFound", "The instanceId provided does not exist.")
		return
	}
	if v.variant.busyUnreadable && dest.Status != "active" && (op == "GET /snapshot-repos" || op == "GET /alternative-snapshot-repos") {
		if dest.Status == "activating" {
			v.fail(w, 400, "InstanceActivating", "Instance is activating.")
		} else {
			v.fail(w, 400, "InstanceStatusNotSupportCurrentAction", "The cluster is running tasks or in an error status. Try again later.")
		}
		return
	}
	switch op {
	case "GET ":
		version, status := dest.Version.Raw, string(dest.Status)
		if v.variant.factsSpelledOtherwise {
			version = dest.Version.Key.String()
			if dest.Version.Suffix != "" {
				version += "_" + dest.Version.Suffix
			}
			status = strings.ToUpper(status[:1]) + status[1:]
		}
		item := map[string]any{"instanceId": dest.ID, "esVersion": version, "status": status}
		if v.variant.describesEverything {
			// As the reference's sample: the edition as instanceCategory
			// (x-pack is the Standard Edition), the kernel in extendConfigs.
			category := string(dest.Edition)
			if category == "standard" {
				category = "x-pack"
			}
			item["instanceCategory"] = category
			item["description"] = "vendor instance"
			item["resourceGroupId"] = "rg-vendor"
			configs := []map[string]string{}
			if dest.Kernel != nil {
				configs = append(configs, map[string]string{"configType": "aliVersion", "aliVersion": "ali" + dest.Kernel.String()})
			}
			item["extendConfigs"] = configs
		}
		v.ok(w, item)
	case "GET /snapshot-repos":
		v.mu.Lock()
		items := []map[string]string{}
		for _, s := range v.view(dest.ID) {
			// The reference's example item.
			id := s
			if v.variant.itemNamesDestination {
				id = dest.ID
			}
			items = append(items, map[string]string{"instanceId": id, "repoPath": s, "snapWarehouse": "aliyun_snapshot_from_" + s, "status": "available"})
		}
		v.mu.Unlock()
		v.ok(w, items)
	case "DELETE /snapshot-repos":
		if dest.Status == "activating" {
			v.fail(w, 400, "InstanceActivating", "Instance is activating.")
			return
		}
		src := r.URL.Query().Get("repoPath")
		v.mu.Lock()
		i := slices.Index(v.repos[dest.ID], src)
		if i >= 0 {
			v.repos[dest.ID] = slices.Delete(v.repos[dest.ID], i, i+1)
			v.written(dest.ID)
		}
		v.mu.Unlock()
		switch {
		case i >= 0 || v.variant.deleteMissingIsOK:
			v.ok(w, true)
		case v.variant.resultFalse:
			v.ok(w, false)
		default:
			v.fail(w, 404, "Vendor.NoSuchRepository", "no such repository")
		}
	case "GET /alternative-snapshot-repos":
		// The SDK models: alreadySetItems defaults to true.
		withSet := r.URL.Query().Get("alreadySetItems") != "false"
		items := []map[string]string{}
		for i := range v.w.Instances {
			src := &v.w.Instances[i]
			if src.Account != account || v.refusal(account, dest.ID, src.ID) != "" {
				continue
			}
			if v.variant.alternativesActiveOnly && src.Status != "active" {
				continue
			}
			v.mu.Lock()
			set := slices.Contains(v.view(dest.ID), src.ID)
			v.mu.Unlock()
			if set && !withSet {
				continue
			}
			items = append(items, map[string]string{"instanceId": src.ID, "repoPath": src.ID})
		}
		v.ok(w, items)
	default:
		v.add(w, r, account, dest.ID, body)
	}
}

func (v *vendor) unknown(w http.ResponseWriter) {
	if v.variant.unknownPathIs405 {
		v.fail(w, 405, "Vendor.MethodNotAllowed", "no such operation")
		return
	}
	if v.variant.unknownPathIs400 {
		v.fail(w, 400, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
		return
	}
	v.fail(w, 404, "Vendor.NoSuchOperation", "no such operation")
}

// add reads repoPath leniently: JSON whatever the Content-Type says, else
// the classic SDK's form.
func (v *vendor) add(w http.ResponseWriter, r *http.Request, account, destID string, body []byte) {
	if v.variant.strictContentType {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/json" && mt != "application/x-www-form-urlencoded" {
			v.fail(w, 415, "Vendor.UnsupportedMediaType", "send JSON or a form")
			return
		}
	}
	doc := body
	if form, err := url.ParseQuery(string(body)); err == nil && form.Has("body") {
		doc = []byte(form.Get("body"))
	}
	var req struct {
		RepoPath *string `json:"repoPath"`
	}
	if json.Unmarshal(doc, &req) != nil || req.RepoPath == nil || *req.RepoPath == "" {
		if v.variant.badBodyIs422 {
			v.fail(w, http.StatusUnprocessableEntity, "Vendor.BadBody", "want {\"repoPath\": \"<instance id>\"}")
			return
		}
		v.fail(w, 400, "Vendor.BadBody", "want {\"repoPath\": \"<instance id>\"}")
		return
	}
	src := *req.RepoPath
	if why := v.refusal(account, destID, src); why != "" {
		if strings.HasPrefix(why, "InstanceActivating") {
			v.fail(w, 400, "InstanceActivating", "Instance is activating.")
			return
		}
		if v.variant.echoInput {
			why = fmt.Sprintf("%s (destination %s, repoPath %s)", why, destID, src)
			if strings.HasPrefix(why, "no such source") {
				why = fmt.Sprintf("The source instance %s does not exist.", src)
			}
		}
		if v.variant.missingSourceNotFound && strings.HasPrefix(why, "no such source") {
			v.fail(w, 400, "InstanceNotFound", "The instanceId provided does not exist.")
			return
		}
		v.refuse(w, "Vendor.Refused", why)
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if slices.Contains(v.repos[destID], src) {
		if v.variant.repeatIsConflict {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(409)
			json.NewEncoder(w).Encode(map[string]string{"Code": "Vendor.AlreadyThere", "Message": "already referenced", "RequestId": fmt.Sprint("vendor-conflict-", time.Now().UnixNano())})
			return
		}
	} else {
		v.repos[destID] = append(v.repos[destID], src)
		v.written(destID)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"RequestId": fmt.Sprint("vendor-add-", time.Now().UnixNano()), "Result": true})
}

// refusal is why the vendor refuses dest ← src, in its own order of checks:
// the source first, then versions, then the destination's state.
func (v *vendor) refusal(account, destID, srcID string) string {
	d, s := v.w.Instance(destID), v.w.Instance(srcID)
	switch {
	case s == nil || s.Account != account:
		return "no such source" // another account's source looks missing
	case srcID == destID:
		return "a cluster cannot use its own repository"
	case s.Region != d.Region:
		return "the source is in another region"
	case newer(vendorVersion(s.Version.Raw), vendorVersion(d.Version.Raw)):
		return "the source is newer"
	case d.Status == "activating":
		return "InstanceActivating"
	case d.Status != "active":
		return "the destination is not active"
	case v.variant.refuseInactiveSource && s.Status != "active":
		return "the source is not active"
	}
	dv, sv := vendorVersion(d.Version.Raw), vendorVersion(s.Version.Raw)
	if dv == [3]int{6, 7, 0} && sv == [3]int{6, 7, 0} && d.Edition == "standard" && s.Edition == "standard" {
		if d.Kernel == nil || s.Kernel == nil {
			return "the kernels are not known"
		}
		dk, sk := kernelOf(d.Kernel.Original()), kernelOf(s.Kernel.Original())
		latest := [3]int{1, 3, 0}
		if !newer(dk, sk) && !(dk == latest && sk == latest) {
			return "the destination's kernel must be later"
		}
	}
	return ""
}

// vendorChoice is a variant of the vendor and the requirements whose open
// outcome it takes the other side of.
type vendorChoice struct {
	variant vendorVariant
	// world, when set, is a world file the variant holds instead of the
	// built-in one.
	world string
	opens []string
}

// vendorChoices are the variants an honest vendor may be: between them,
// every requirement with an open outcome has one that takes a side the
// reference server does not.
func vendorChoices(t *testing.T) map[string]vendorChoice {
	return map[string]vendorChoice{
		"as written":                                    {opens: []string{"RULE-SAME-REGION", "RULE-SAME-ACCOUNT", "RULE-VERSION", "RULE-KERNEL-6.7", "RULE-DISTINCT", "RULE-SOURCE-EXISTS", "OK-REQUEST-ID", "ERR-INSTANCE-INACTIVE", "ERR-UNKNOWN-PATH"}},
		"refuses an inactive source":                    {variant: vendorVariant{refuseInactiveSource: true}, opens: []string{"OK-ALTERNATIVES", "STATE-MODEL"}},
		"a repeated add is a 409":                       {variant: vendorVariant{repeatIsConflict: true}, opens: []string{"OK-REPEAT", "STATE-MODEL"}},
		"deleting what is not there is 200":             {variant: vendorVariant{deleteMissingIsOK: true}, opens: []string{"OK-DELETED", "SDK-NODE", "STATE-MODEL"}},
		"describes every field of the sample":           {variant: vendorVariant{describesEverything: true}},
		"a page past the last is refused":               {variant: vendorVariant{pastLastPageRefused: true}, opens: []string{"STATE-MODEL"}},
		"an unknown path is 400":                        {variant: vendorVariant{unknownPathIs400: true}, opens: []string{"ERR-UNKNOWN-PATH"}},
		"a bad body is 422":                             {variant: vendorVariant{badBodyIs422: true}, opens: []string{"REQ-BAD-BODY"}},
		"its own codes for failed signatures":           {variant: vendorVariant{ownAuthCodes: true}, opens: []string{"AUTH-BAD-SIGNATURE", "AUTH-UNKNOWN-KEY"}},
		"an unknown key is 400":                         {variant: vendorVariant{unknownKeyIs400: true}, opens: []string{"AUTH-UNKNOWN-KEY"}},
		"a huge body is 400":                            {variant: vendorVariant{bigBodyIs400: true}, opens: []string{"ROB-BODY-LIMIT"}},
		"an unknown path is 405":                        {variant: vendorVariant{unknownPathIs405: true}, opens: []string{"ERR-UNKNOWN-PATH"}},
		"messages echo the IDs sent":                    {variant: vendorVariant{echoInput: true}, opens: []string{"AUTH-TENANT"}},
		"refusals are 200 with Result false":            {variant: vendorVariant{resultFalse: true}, opens: []string{"RULE-SAME-REGION", "RULE-SAME-ACCOUNT", "RULE-VERSION", "RULE-KERNEL-6.7", "RULE-DISTINCT", "RULE-SOURCE-EXISTS", "ERR-INSTANCE-INACTIVE", "OK-DELETED", "OK-REPEAT", "STATE-MODEL"}},
		"lists show writes 300 ms late":                 {variant: vendorVariant{listLag: 300 * time.Millisecond}, opens: []string{"OK-LISTED", "OK-REPEAT", "OK-DELETED", "OK-ALTERNATIVES", "ROB-CONCURRENT", "STATE-MODEL"}},
		"another region has its own code":               {variant: vendorVariant{otherRegionCode: true}, opens: []string{"ERR-INSTANCE-NOT-FOUND"}},
		"alternatives offer active sources":             {variant: vendorVariant{alternativesActiveOnly: true}, opens: []string{"OK-ALTERNATIVES"}},
		"no body limit":                                 {variant: vendorVariant{noBodyLimit: true}, opens: []string{"ROB-BODY-LIMIT"}},
		"odd content types are 415":                     {variant: vendorVariant{strictContentType: true}, opens: []string{"ROB-NO-5XX"}},
		"an unsigned request is 403":                    {variant: vendorVariant{unsignedIs403: true}, opens: []string{"AUTH-REQUIRED"}},
		"a world with existing repositories":            {world: worldWithRepos(t), opens: []string{"STATE-MODEL", "OK-ALTERNATIVES"}},
		"list items name the destination":               {variant: vendorVariant{itemNamesDestination: true}, opens: []string{"STATE-MODEL"}},
		"facts spelled otherwise":                       {variant: vendorVariant{factsSpelledOtherwise: true}, opens: []string{"OK-DESCRIBE"}},
		"a gateway that throttles":                      {variant: vendorVariant{throttleEvery: 29}},
		"routed by net/http's ServeMux":                 {variant: vendorVariant{standardMux: true}, opens: []string{"ROB-NO-5XX", "STATE-MODEL"}},
		"a missing source is InstanceNotFound":          {variant: vendorVariant{missingSourceNotFound: true}, opens: []string{"RULE-SOURCE-EXISTS", "AUTH-TENANT"}},
		"x-acs-action and x-acs-version checked":        {variant: vendorVariant{checksActionHeaders: true}},
		"reads of what the caller cannot see are empty": {variant: vendorVariant{unknownReadsEmpty: true}, opens: []string{"AUTH-TENANT", "STATE-MODEL"}},
		"another region's instance can be read":         {variant: vendorVariant{readsAnyRegion: true}},
		"closes every connection":                       {variant: vendorVariant{closesConnections: true}},
		"answers 10 ms late":                            {variant: vendorVariant{latency: 10 * time.Millisecond}},
		"a destination not active cannot be read":       {variant: vendorVariant{busyUnreadable: true}, opens: []string{"RULE-NO-SIDE-EFFECT", "ERR-INSTANCE-INACTIVE"}},
	}
}

// worldWithRepos is the built-in world with repositories on the
// destinations the suite uses most, written to a file.
func worldWithRepos(t *testing.T) string {
	t.Helper()
	extra := "\n  - instance: es-cn-cf710dest0000001\n    repoPath: es-cn-cf74src00000001\n" +
		"  - instance: es-cn-cf710same0000001\n    repoPath: es-cn-cf79src00000001\n"
	path := filepath.Join(t.TempDir(), "world.yaml")
	if err := os.WriteFile(path, append(bytes.TrimRight(fixtures.World, "\n"), extra...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// An honest implementation written apart from conform passes the whole
// suite, exhaustively, in every variant the documentation allows: no false
// red for a choice the documentation leaves open.
func TestAnIndependentImplementationPassesInEveryVariant(t *testing.T) {
	for name, c := range vendorChoices(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := builtinOr(t, c.world)
			ts := httptest.NewServer(newVendor(w, c.variant).handler())
			defer ts.Close()
			args := []string{"--endpoint", ts.URL, "--timeout", "5s", "--exhaustive"}
			if c.world != "" {
				args = append(args, "--world", c.world)
			}
			code, out, rep := conformRun(t, args...)
			if code != 0 || len(rep.Failed) != 0 {
				t.Errorf("exit %d, failed %v: an honest implementation must pass\n%s", code, rep.Failed, out)
			}
			throttled, unobserved := 0, []string(nil)
			for _, s := range rep.Specs {
				throttled += s.Throttled
				unobserved = append(unobserved, s.Unobserved...)
			}
			if (c.variant.throttleEvery > 0) != (throttled > 0) {
				t.Errorf("the JSON report counts %d throttled requests; the variant throttles every %d", throttled, c.variant.throttleEvery)
			}
			// What a refused list hid is said, and only where a list was refused.
			if c.variant.busyUnreadable != (len(unobserved) > 0) {
				t.Errorf("the JSON report says these went unseen: %q; the variant refuses lists of busy destinations: %v", unobserved, c.variant.busyUnreadable)
			}
		})
	}
}

// Every outcome the catalogue leaves open has a variant of the independent
// implementation that takes another side than the reference server, and
// passes (the test above).
func TestEveryOpenOutcomeHasAVariant(t *testing.T) {
	cat, err := catalogue.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, c := range vendorChoices(t) {
		for _, id := range c.opens {
			if _, ok := cat.Lookup(id); !ok {
				t.Errorf("a variant names %s, which is not a requirement", id)
			}
			covered[id] = true
		}
	}
	for _, r := range cat.Requirements {
		if r.Open != "" && !covered[r.ID] {
			t.Errorf("%s leaves open %q, and no variant of the independent implementation takes another side", r.ID, r.Open)
		}
	}
}

// A vendor that forgets the world's repositories is not honest: the state
// model, seeded from the world, catches it.
func TestAVendorThatForgetsTheWorldsRepositoriesFails(t *testing.T) {
	path := worldWithRepos(t)
	ts := httptest.NewServer(newVendor(builtinOr(t, path), vendorVariant{forgetWorldRepos: true}))
	defer ts.Close()
	code, out, rep := conformRun(t, "--endpoint", ts.URL, "--world", path, "--timeout", "5s")
	if code != 1 || !slices.Contains(rep.Failed, "STATE-MODEL") {
		t.Errorf("exit %d, failed %v: want STATE-MODEL to fail\n%s", code, rep.Failed, out)
	}
}

func builtinOr(t *testing.T, path string) *world.World {
	t.Helper()
	w, err := world.LoadOrBuiltin(path)
	if err != nil {
		t.Fatal(err)
	}
	return w
}
