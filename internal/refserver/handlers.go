package refserver

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/snaprepo/conform/apierror"
	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/internal/boundedread"
	"github.com/snaprepo/conform/world"
)

// repoItem is one repository as ListSnapshotReposByInstanceId and
// ListAlternativeSnapshotRepos answer it: instanceId and repoPath name the
// source, snapWarehouse the repository's name on the destination.
type repoItem struct {
	InstanceID    string `json:"instanceId"`
	RepoPath      string `json:"repoPath"`
	SnapWarehouse string `json:"snapWarehouse"`
	Status        string `json:"status"`
}

// alternativeItem is one item of ListAlternativeSnapshotRepos: the SDK
// models name only instanceId and repoPath.
type alternativeItem struct {
	InstanceID string `json:"instanceId"`
	RepoPath   string `json:"repoPath"`
}

func newRepoItem(source string) repoItem {
	return repoItem{InstanceID: source, RepoPath: source, SnapWarehouse: "aliyun_snapshot_from_" + source, Status: world.RepoAvailable}
}

// parseRepoPath reads repoPath from a JSON body, or from the form field
// "body" that holds the JSON (the classic Go SDK's form).
func (s *Server) parseRepoPath(x *exchange, body []byte) (string, *apierror.Error) {
	ct := x.r.Header.Get("Content-Type")
	media := ""
	if ct != "" {
		var err error
		if media, _, err = mime.ParseMediaType(ct); err != nil {
			e := apierror.UnsupportedMediaType
			return "", &e
		}
	}
	doc := body
	switch media {
	case "application/json", "":
	case "application/x-www-form-urlencoded":
		if s.cfg.Faults.IgnoreFormBody {
			e := apierror.InvalidBody
			return "", &e
		}
		form, err := url.ParseQuery(string(body))
		if err != nil || !form.Has("body") {
			e := apierror.InvalidBody.WithMessage("A form body must carry the JSON document in the field body, e.g. body=%7B%22repoPath%22%3A%22es-cn-…%22%7D.")
			return "", &e
		}
		doc = []byte(form.Get("body"))
	default:
		e := apierror.UnsupportedMediaType
		return "", &e
	}
	return repoPathOf(doc)
}

// repoPathOf reads repoPath from a JSON object exactly: encoding/json
// matches keys case-insensitively and keeps the last of duplicates, so
// {"repoPath":"x","REPOPATH":"y"} would mean y to it and x to someone else.
// A duplicate key, or a key that is repoPath only case-insensitively, is
// refused.
func repoPathOf(doc []byte) (string, *apierror.Error) {
	bad := func(e apierror.Error) (string, *apierror.Error) { return "", &e }
	if boundedread.Depth(doc, boundedread.MaxDepth) != nil {
		// No body of the API nests past two levels: refused before any
		// decoder walks it.
		return bad(apierror.InvalidBody)
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return bad(apierror.InvalidBody)
	}
	seen := map[string]bool{}
	var raw json.RawMessage
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return bad(apierror.InvalidBody)
		}
		key := t.(string) // inside an object, a token before a value is its key
		if seen[key] || (key != "repoPath" && strings.EqualFold(key, "repoPath")) {
			return bad(apierror.AmbiguousBody)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return bad(apierror.InvalidBody)
		}
		if key == "repoPath" {
			raw = v
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return bad(apierror.InvalidBody)
	}
	if len(bytes.TrimSpace(doc[dec.InputOffset():])) > 0 {
		return bad(apierror.InvalidBody) // something after the object
	}
	if raw == nil || string(raw) == "null" {
		// The gateway's answer for a mandatory parameter left out.
		return bad(apierror.MissingRepoPath)
	}
	var repoPath string
	if json.Unmarshal(raw, &repoPath) != nil || repoPath == "" {
		return bad(apierror.InvalidBody)
	}
	return repoPath, nil
}

func (s *Server) addSnapshotRepo(x *exchange, destID string, body []byte) {
	x.action = "AddSnapshotRepo"
	dest := s.destinationOr404(x, destID)
	if dest == nil {
		return
	}
	srcID, bad := s.parseRepoPath(x, body)
	if bad != nil {
		s.fail(x, *bad)
		return
	}
	switch f := &s.cfg.Faults; {
	case f.NonASCIIRepoPath5xx && !isASCII(srcID):
		s.fail(x, apierror.InternalError)
		return
	case f.BacktrackingRepoPath && backtracks(srcID):
		<-x.r.Context().Done()
		return
	}
	form := strings.HasPrefix(x.r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
	src := s.w().Instance(srcID)
	if s.cfg.Faults.OtherSourceRevealed && src != nil && src.Account != x.account {
		s.fail(x, apierror.Forbidden.WithMessage("The source instance "+srcID+" belongs to account "+src.Account+"."))
		return
	}
	if src == nil && s.cfg.Faults.AcceptUnknownSource {
		s.store.Add(destID, srcID)
		s.ok(x, s.result(true))
		return
	}
	v := s.evaluateAs(destID, dest, srcID, src, form && s.cfg.Faults.FormSkipsKernel)
	if form && s.cfg.Faults.FormRefusalsOK && v.Decision() == checks.Refused && src != nil {
		s.ok(x, s.result(true))
		return
	}
	if s.cfg.Faults.ReAddRefused && s.deleted.Has(destID, srcID) {
		s.fail(x, apierror.RepoAlreadyExists)
		return
	}
	switch v.Decision() {
	case checks.Compatible:
		if err := s.store.Add(destID, srcID); err != nil {
			s.log.Error("persisting a repository failed", "error", err)
			s.fail(x, apierror.InternalError)
			return
		}
		s.ok(x, s.result(true))
	case checks.Refused:
		e := v.APIError()
		if s.cfg.Faults.HangOnActivating && e.Is(apierror.InstanceActivating.Code) {
			<-x.r.Context().Done()
			return
		}
		if s.cfg.Faults.RefusalCreates && src != nil {
			s.store.Add(destID, srcID)
		}
		s.fail(x, *e)
	default:
		// A fact a rule needs is missing from the world: refuse with that
		// rule's code rather than guess.
		rule := checks.Rules()[v.Deciding()]
		s.fail(x, rule.Refusal.WithMessage(v.Message(v.Deciding())))
	}
}

// result is the success Result, as the planted faults shape it.
func (s *Server) result(b bool) any { return s.cfg.Faults.reshapeResult(b) }

// evaluate asks the rules, with the decision faults planted in what they
// are told: a fault that ignores a rule hands the rules facts that pass it.
func (s *Server) evaluate(destID string, dest *checks.Instance, srcID string, src *checks.Instance) checks.Verdict {
	return s.evaluateAs(destID, dest, srcID, src, false)
}

// evaluateAs is evaluate; skipKernel plants a kernel rule left unchecked
// for this request alone (the form body's fault).
func (s *Server) evaluateAs(destID string, dest *checks.Instance, srcID string, src *checks.Instance, skipKernel bool) checks.Verdict {
	dest, srcID, src = s.cfg.Faults.plantFacts(dest, destID, srcID, src, skipKernel)
	return s.w().Policy.Evaluate(destID, dest, srcID, src)
}

// destinationOr404 is the caller's destination id, or nil once
// InstanceNotFound is answered.
func (s *Server) destinationOr404(x *exchange, id string) *checks.Instance {
	d := s.destination(x.account, id)
	if d == nil {
		s.notFound(x, id)
	}
	return d
}

// notFound answers InstanceNotFound, or with the planted fault reveals that
// another account's instance exists.
func (s *Server) notFound(x *exchange, id string) {
	if s.cfg.Faults.RevealOtherAccount && s.hidden(x.account, id) {
		s.fail(x, apierror.Forbidden)
		return
	}
	s.fail(x, apierror.InstanceNotFound)
}

func (s *Server) listSnapshotRepos(x *exchange, destID string) {
	x.action = "ListSnapshotReposByInstanceId"
	if s.cfg.Faults.ListUnknownEmpty && s.w().Instance(destID) == nil {
		s.ok(x, []repoItem{})
		return
	}
	if s.destinationOr404(x, destID) == nil {
		return
	}
	items := []repoItem{}
	if !s.cfg.Faults.ListOmits {
		sources := s.store.List(destID)
		if s.cfg.Faults.ListLeaks {
			sources = append(sources, s.store.List(s.lastListed.Swap(destID))...)
		}
		if s.cfg.Faults.ListGarbage {
			sources = append(sources, "es-cn-garbage0000001")
		}
		for _, src := range sources {
			item := newRepoItem(src)
			if s.cfg.Faults.SnapWarehouseOfFirst {
				item.SnapWarehouse = "aliyun_snapshot_from_" + sources[0]
			}
			if s.unavailable.Has(destID, src) {
				item.Status = world.RepoUnavailable
			}
			items = append(items, item)
		}
	}
	s.ok(x, items)
}

func (s *Server) deleteSnapshotRepo(x *exchange, destID string) {
	x.action = "DeleteSnapshotRepo"
	if q := x.r.URL.Query(); (s.cfg.Faults.DeleteSlash5xx && strings.Contains(destID, "/")) ||
		(s.cfg.Faults.EmptyClientToken5xx && q.Has("clientToken") && q.Get("clientToken") == "") {
		s.fail(x, apierror.InternalError)
		return
	}
	if s.cfg.Faults.DeleteAnyAccount && s.w().Instance(destID) != nil {
		// The planted fault: no check that the destination is the caller's.
	} else if dest := s.destinationOr404(x, destID); dest == nil {
		return
	} else if dest.Status == checks.StatusActivating && !s.cfg.Faults.DeleteWhileActivating {
		// DeleteSnapshotRepo documents InstanceActivating as it does
		// InstanceNotFound.
		s.fail(x, apierror.InstanceActivating)
		return
	}
	q := x.r.URL.Query()
	src := q.Get("repoPath")
	if src == "" && s.cfg.Faults.DeleteUnnamedClears {
		for _, other := range s.store.List(destID) {
			s.store.Delete(destID, other)
		}
		s.ok(x, s.result(true))
		return
	}
	if src == "" {
		s.fail(x, apierror.MissingRepoPath)
		return
	}
	if token := q.Get("clientToken"); !s.limits.clientToken.Allows(token) {
		s.fail(x, apierror.InvalidClientToken)
		return
	}
	var removed bool
	var err error
	switch f := s.cfg.Faults; {
	case f.DeleteKeepsRepo:
		removed = s.store.Has(destID, src)
	case f.DeleteClearsAll:
		removed = s.store.Has(destID, src)
		for _, other := range s.store.List(destID) {
			if _, e := s.store.Delete(destID, other); e != nil {
				err = e
			}
		}
	default:
		removed, err = s.store.Delete(destID, src)
		if removed {
			s.unavailable.Delete(destID, src)
		}
		if removed && s.cfg.Faults.ReAddRefused {
			s.deleted.Add(destID, src)
		}
	}
	switch {
	case err != nil:
		s.log.Error("persisting a deletion failed", "error", err)
		s.fail(x, apierror.InternalError)
	case !removed:
		s.fail(x, apierror.RepoNotFound)
	default:
		s.ok(x, s.result(true))
	}
}

// listAlternatives offers every instance the rules let the destination
// reference; unless alreadySetItems=false, also those it references
// already (the SDK models: "true (default): returns the already added
// repositories").
func (s *Server) listAlternatives(x *exchange, destID string) {
	x.action = "ListAlternativeSnapshotRepos"
	dest := s.destinationOr404(x, destID)
	if dest == nil {
		return
	}
	withSet := s.limits.alreadySetDefault && !s.cfg.Faults.AlreadySetDefaultFalse
	if raw := x.r.URL.Query().Get("alreadySetItems"); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			s.fail(x, apierror.InvalidParameter.WithMessage("alreadySetItems must be true or false, not "+strconv.Quote(truncate(raw, 40))+"."))
			return
		}
		withSet = b
	}
	items := []alternativeItem{}
	for i := range s.w().Instances {
		src := &s.w().Instances[i]
		if src.Account != x.account {
			continue
		}
		v := s.evaluate(destID, dest, src.ID, src)
		if v.Decision() != checks.Compatible {
			continue
		}
		if !withSet && s.store.Has(destID, src.ID) && !s.cfg.Faults.IgnoreAlreadySet {
			continue
		}
		items = append(items, alternativeItem{InstanceID: src.ID, RepoPath: src.ID})
	}
	s.ok(x, items)
}

// instanceJSON is DescribeInstance's Result (the fields conform knows of).
type instanceJSON struct {
	InstanceID       string         `json:"instanceId"`
	Description      string         `json:"description"`
	EsVersion        string         `json:"esVersion"`
	Status           string         `json:"status"`
	InstanceCategory string         `json:"instanceCategory"`
	ResourceGroupID  string         `json:"resourceGroupId"`
	ExtendConfigs    []extendConfig `json:"extendConfigs"`
}

type extendConfig struct {
	ConfigType string `json:"configType"`
	AliVersion string `json:"aliVersion"`
}

func describe(in *checks.Instance) instanceJSON {
	category := string(in.Edition)
	if in.Edition == checks.EditionStandard {
		category = "x-pack"
	}
	out := instanceJSON{InstanceID: in.ID, Description: in.ID, EsVersion: in.Version.Raw, Status: string(in.Status),
		InstanceCategory: category, ResourceGroupID: "rg-default", ExtendConfigs: []extendConfig{}}
	if in.Kernel != nil {
		out.ExtendConfigs = append(out.ExtendConfigs, extendConfig{ConfigType: "aliVersion", AliVersion: "ali" + in.Kernel.String()})
	}
	return out
}

func (s *Server) describeInstance(x *exchange, id string) {
	x.action = "DescribeInstance"
	if s.cfg.Faults.Describe5xxUnknown && s.w().Instance(id) == nil {
		s.fail(x, apierror.InternalError)
		return
	}
	in := s.destinationOr404(x, id)
	if in == nil {
		return
	}
	out := describe(in)
	if s.cfg.Faults.DescribeWrongVersion {
		out.EsVersion = "7.0.0"
	}
	s.ok(x, out)
}

// listInstances answers ListInstance: the caller's instances in this region,
// paged by page and size (defaults and bound from the ledger), with the total
// in Headers.X-Total-Count as the SDK expects.
func (s *Server) listInstances(x *exchange) {
	x.action = "ListInstance"
	q := x.r.URL.Query()
	page, size := s.limits.page, s.limits.size
	if s.cfg.Faults.ListInstanceSizeZero5xx && q.Get("size") == "0" {
		s.fail(x, apierror.InternalError)
		return
	}
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"page", &page, 1 << 20}, {"size", &size, s.limits.maxSize}} {
		raw := q.Get(p.name)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > p.max {
			s.fail(x, apierror.InvalidParameter.WithMessage(p.name+" must be a whole number from 1 to "+strconv.Itoa(p.max)+", not "+strconv.Quote(truncate(raw, 40))+"."))
			return
		}
		*p.dst = n
	}
	// The account's instances of this region, indexed once at start: a page
	// costs its size, not the account's whole list.
	mine := s.now.Load().byAccount[x.account]
	if s.cfg.Faults.ListInstanceAll {
		mine = nil
		for _, of := range s.now.Load().byAccount {
			mine = append(mine, of...)
		}
		slices.Sort(mine)
	}
	if s.cfg.Faults.ListInstanceFirstPage {
		page = 1
	}
	total := len(mine)
	from := min((page-1)*size, total)
	to := min(from+size, total)
	result := make([]instanceJSON, 0, to-from)
	for _, i := range mine[from:to] {
		result = append(result, describe(&s.w().Instances[i]))
	}
	if s.cfg.Faults.ListInstanceTotalAll {
		total = len(s.w().Instances)
	}
	s.write(x, 200, struct {
		RequestID string `json:"RequestId"`
		Headers   struct {
			XTotalCount int `json:"X-Total-Count"`
		} `json:"Headers"`
		Result []instanceJSON `json:"Result"`
	}{RequestID: x.requestID, Headers: struct {
		XTotalCount int `json:"X-Total-Count"`
	}{total}, Result: result})
}

// describeRegions answers DescribeRegions with every region of the world.
func (s *Server) describeRegions(x *exchange) {
	x.action = "DescribeRegions"
	seen := map[string]bool{}
	type regionInfo struct {
		RegionID       string `json:"regionId"`
		RegionEndpoint string `json:"regionEndpoint"`
		LocalName      string `json:"localName"`
		Status         string `json:"status"`
	}
	out := []regionInfo{}
	add := func(r string) {
		if !seen[r] {
			seen[r] = true
			out = append(out, regionInfo{RegionID: r, RegionEndpoint: "elasticsearch." + r + ".aliyuncs.com", LocalName: r, Status: "available"})
		}
	}
	add(s.w().Region)
	for i := range s.w().Instances {
		add(s.w().Instances[i].Region)
	}
	s.ok(x, out)
}
