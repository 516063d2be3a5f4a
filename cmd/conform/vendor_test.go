package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/world"
)

// vendor is a second implementation of the API, written apart from the
// reference server and from conform's rules engine, as a careful vendor
// would write it from the documentation: its own error codes for every
// undocumented refusal, its own RequestId format, its own order of checks,
// lenient parsing. It reads the world only as data. The choices the
// documentation leaves open are switches, so each variant is tried.
type vendor struct {
	w       *world.World
	v       *acs.Verifier
	variant vendorVariant

	mu    sync.Mutex
	repos map[string][]string
	seq   int
}

// vendorVariant is a set of choices the documentation leaves open.
type vendorVariant struct {
	refuseInactiveSource bool // the source's own status is not documented
	repeatIsConflict     bool // a repeated add: 409 instead of success
	deleteMissingIsOK    bool // deleting what is not there: success instead of 404
	unknownKeyIs400      bool // InvalidAccessKeyId.NotFound with 400, not 404
	bigBodyIs400         bool // a huge body: 400 instead of 413
	unknownPathIs405     bool
}

func newVendor(w *world.World, variant vendorVariant) *vendor {
	secret := func(id string) (string, bool) {
		_, s, ok := w.KeyOwner(id)
		return s, ok && s != ""
	}
	return &vendor{w: w, v: acs.NewVerifier(secret, time.Now, 1<<16), variant: variant, repos: map[string][]string{}}
}

func (v *vendor) fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"Code": code, "Message": msg, "RequestId": v.requestID()})
}

func (v *vendor) ok(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	json.NewEncoder(w).Encode(map[string]any{"RequestId": v.requestID(), "Result": result})
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

func (v *vendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if err != nil || len(body) > 2<<20-1 {
		if v.variant.bigBodyIs400 {
			v.fail(w, 400, "Vendor.BadRequest", "body too large")
		} else {
			v.fail(w, 413, "Vendor.TooLarge", "body too large")
		}
		return
	}
	keyID, f := v.v.Verify(r, body)
	if f != nil {
		status := f.Err.Status
		if v.variant.unknownKeyIs400 && status == 404 {
			status = 400
		}
		v.fail(w, status, f.Err.Code, f.Err.Message)
		return
	}
	account, _, _ := v.w.KeyOwner(keyID)
	m := idPath.FindStringSubmatch(r.URL.EscapedPath())
	if m == nil {
		v.unknown(w)
		return
	}
	id, _ := url.PathUnescape(m[1])
	dest := v.w.VisibleTo(account, id)
	if dest != nil && dest.Region != v.w.Region {
		dest = nil
	}
	op := r.Method + " " + m[2]
	switch op {
	case "GET ", "POST /snapshot-repos", "GET /snapshot-repos", "DELETE /snapshot-repos", "GET /alternative-snapshot-repos":
	default:
		v.unknown(w)
		return
	}
	if dest == nil {
		v.fail(w, 400, "InstanceNotFound", "The instanceId provided does not exist.")
		return
	}
	switch op {
	case "GET ":
		v.ok(w, map[string]any{"instanceId": dest.ID, "esVersion": dest.Version.Raw, "status": string(dest.Status)})
	case "GET /snapshot-repos":
		v.mu.Lock()
		items := []map[string]string{}
		for _, s := range v.repos[dest.ID] {
			items = append(items, map[string]string{"instanceId": s, "repoPath": s})
		}
		v.mu.Unlock()
		v.ok(w, items)
	case "DELETE /snapshot-repos":
		src := r.URL.Query().Get("repoPath")
		v.mu.Lock()
		i := slices.Index(v.repos[dest.ID], src)
		if i >= 0 {
			v.repos[dest.ID] = slices.Delete(v.repos[dest.ID], i, i+1)
		}
		v.mu.Unlock()
		if i < 0 && !v.variant.deleteMissingIsOK {
			v.fail(w, 404, "Vendor.NoSuchRepository", "no such repository")
			return
		}
		v.ok(w, true)
	case "GET /alternative-snapshot-repos":
		withSet := r.URL.Query().Get("alreadySetItems") == "true"
		items := []map[string]string{}
		for i := range v.w.Instances {
			src := &v.w.Instances[i]
			if src.Account != account || v.refusal(account, dest.ID, src.ID) != "" {
				continue
			}
			v.mu.Lock()
			set := slices.Contains(v.repos[dest.ID], src.ID)
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
	v.fail(w, 404, "Vendor.NoSuchOperation", "no such operation")
}

// add reads repoPath leniently: JSON whatever the Content-Type says, else
// the classic SDK's form.
func (v *vendor) add(w http.ResponseWriter, r *http.Request, account, destID string, body []byte) {
	doc := body
	if form, err := url.ParseQuery(string(body)); err == nil && form.Has("body") {
		doc = []byte(form.Get("body"))
	}
	var req struct {
		RepoPath *string `json:"repoPath"`
	}
	if json.Unmarshal(doc, &req) != nil || req.RepoPath == nil || *req.RepoPath == "" {
		v.fail(w, 400, "Vendor.BadBody", "want {\"repoPath\": \"<instance id>\"}")
		return
	}
	src := *req.RepoPath
	if why := v.refusal(account, destID, src); why != "" {
		code := "Vendor.Refused"
		if strings.HasPrefix(why, "InstanceActivating") {
			v.fail(w, 400, "InstanceActivating", "Instance is activating.")
			return
		}
		v.fail(w, 400, code, why)
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

// An honest implementation written apart from conform passes the whole
// suite, exhaustively, in every variant the documentation allows: no false
// red for a choice the documentation leaves open.
func TestAnIndependentImplementationPassesInEveryVariant(t *testing.T) {
	w, err := world.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	variants := map[string]vendorVariant{
		"as written":                        {},
		"refuses an inactive source":        {refuseInactiveSource: true},
		"a repeated add is a 409":           {repeatIsConflict: true},
		"deleting what is not there is 200": {deleteMissingIsOK: true},
		"an unknown key is 400":             {unknownKeyIs400: true},
		"a huge body is 400":                {bigBodyIs400: true},
		"an unknown path is 405":            {unknownPathIs405: true},
	}
	for name, variant := range variants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts := httptest.NewServer(newVendor(w, variant))
			defer ts.Close()
			args := []string{"--endpoint", ts.URL, "--timeout", "5s"}
			if name == "as written" {
				args = append(args, "--exhaustive")
			}
			code, out, rep := conformRun(t, args...)
			if code != 0 || len(rep.Failed) != 0 {
				t.Errorf("exit %d, failed %v: an honest implementation must pass\n%s", code, rep.Failed, out)
			}
		})
	}
}
