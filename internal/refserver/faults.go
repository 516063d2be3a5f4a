package refserver

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apierror"
)

// Faults are realistic mistakes an implementation of the API makes, planted
// one at a time into the reference server to prove the suite catches each.
// They live in this internal package so that no user of conform can switch
// one on; the zero value is the faithful server.
type Faults struct {
	StringVersions       bool // compares esVersion strings instead of numbers
	IgnoreFormBody       bool // reads only JSON bodies: form body= is "missing repoPath"
	ConstantRequestID    bool // answers the same RequestId every time
	RefusalCreates       bool // refuses a pair but stores the repository anyway
	NotFoundAs404        bool // InstanceNotFound with HTTP 404 instead of 400
	NoMessage            bool // error envelopes without Message
	AcceptUnsigned       bool // serves a request with no Authorization as the first account
	RevealOtherAccount   bool // another account's destination gets 403, not InstanceNotFound
	HugeBody5xx          bool // a body over the limit gets 500
	HangOnActivating     bool // never answers for an activating destination
	IgnoreRegion         bool // does not check RULE-SAME-REGION
	IgnoreKernel         bool // does not check RULE-KERNEL-6.7
	DuplicateOnRepeat    bool // a second identical add stores a second entry
	RaceOnConcurrentAdd  bool // checks and inserts under separate locks
	AnySignature         bool // accepts a signature made with any secret
	NoNonceCheck         bool // accepts a reused nonce and a stale date
	ListOmits            bool // ListSnapshotReposByInstanceId always answers []
	AllowSelf            bool // lets an instance reference its own repository
	AcceptUnknownSource  bool // stores a repository of a source that does not exist
	ResultAsString       bool // answers "Result": "true" instead of true
	GoQueryFormOnly      bool // verifies ROA 1.0 only as the Go SDKs write an empty query value ("key"), refusing Node's "key="
	DeleteKeepsRepo      bool // DeleteSnapshotRepo answers success and removes nothing
	DeleteClearsAll      bool // DeleteSnapshotRepo removes every repository of the destination
	DeleteAnyAccount     bool // DeleteSnapshotRepo acts on another account's destination
	DescribeWrongVersion bool // DescribeInstance reports esVersion 7.0.0 for every instance
	UnknownPathOK        bool // an unknown path or method answers 200 {}
	NoContentHashCheck   bool // an ACS3 body need not match x-acs-content-sha256
	FutureDatesOK        bool // accepts request dates up to any time ahead
	ROANonceUnchecked    bool // accepts a reused nonce in ROA 1.0 (ACS3 is checked)
	IgnoreAlreadySet     bool // ListAlternativeSnapshotRepos offers referenced sources whatever alreadySetItems says
	OtherSourceRevealed  bool // another account's source gets 403 naming its account, not the missing-source answer
	LoseFourthRepo       bool // a destination's fourth repository is answered success and never stored
	ListLeaks            bool // ListSnapshotReposByInstanceId also lists the repositories of the destination listed before
	ReAddRefused         bool // a pair once deleted is refused ever after
}

// The faults that only reshape an answer, in one place: the server calls
// these on every answer, and they change it only when their fault is
// planted.

// reshapeError is the status and envelope of an error answer.
func (f *Faults) reshapeError(e apierror.Error) (int, apierror.Error) {
	status := e.Status
	if f.NotFoundAs404 && e.Is(apierror.InstanceNotFound.Code) {
		status = http.StatusNotFound
	}
	if f.NoMessage {
		e.Message = ""
	}
	return status, e
}

// reshapeResult is the Result of a success answer.
func (f *Faults) reshapeResult(b bool) any {
	if f.ResultAsString {
		return strconv.FormatBool(b)
	}
	return b
}

// reshapeRequestID is an answer's RequestId.
func (f *Faults) reshapeRequestID(id string) string {
	if f.ConstantRequestID {
		return "00000000-0000-0000-0000-000000000000"
	}
	return id
}

// hashUnchecked is the check of the NoContentHashCheck fault: an ACS3
// request whose signature is right over the hash it declares, whatever the
// body is.
func hashUnchecked(r *http.Request, secret string) bool {
	rest, ok := strings.CutPrefix(r.Header.Get(acs.HeaderAuthorization), acs.SchemeV3+" ")
	if !ok {
		return false
	}
	a := acs.ParseV3Authorization(rest)
	cr := acs.CanonicalRequestV3(r.Method, r.URL.EscapedPath(), r.URL.Query(), r.Header, r.Host, strings.Split(a.SignedHeaders, ";"), r.Header.Get(acs.HeaderContentSHA256))
	return a.Signature == acs.SignatureV3(secret, acs.StringToSignV3(cr))
}

// datedAhead reports whether the request's signed date is in the future:
// the FutureDatesOK fault lets those through.
func datedAhead(r *http.Request, now time.Time) bool {
	if t, err := time.Parse(acs.DateFormatV3, r.Header.Get(acs.HeaderAcsDate)); err == nil {
		return t.After(now)
	}
	if t, err := time.Parse(acs.DateFormatV1, r.Header.Get(acs.HeaderDate)); err == nil {
		return t.After(now)
	}
	return false
}

// goQueryFormOnly is the check of the GoQueryFormOnly fault: a ROA 1.0
// request with an empty query value verifies only in the Go form.
func goQueryFormOnly(r *http.Request, secret string) bool {
	auth := r.Header.Get(acs.HeaderAuthorization)
	rest, ok := strings.CutPrefix(auth, acs.SchemeV1+" ")
	if !ok {
		return true
	}
	q := r.URL.Query()
	empty := false
	for _, vs := range q {
		empty = empty || slices.Contains(vs, "")
	}
	if !empty {
		return true
	}
	_, sig, _ := strings.Cut(rest, ":")
	for _, form := range []acs.V1Form{{}, {OmitEmptyHeaders: true}} {
		if sig == acs.SignatureV1(secret, acs.StringToSignV1(r.Method, r.Header, r.URL.Path, q, form)) {
			return true
		}
	}
	return false
}

// hidden reports whether id is an instance of another account in this
// region, for the RevealOtherAccount fault.
func (s *Server) hidden(account, id string) bool {
	inst := s.world.Instance(id)
	return inst != nil && inst.Account != account && inst.Region == s.region
}

// known reports whether a path and method name an operation, for the
// UnknownPathOK fault.
func known(segs []string, method string) bool {
	if len(segs) == 2 && segs[0] == "openapi" && (segs[1] == "instances" || segs[1] == "regions") {
		return method == http.MethodGet
	}
	if len(segs) < 3 || len(segs) > 4 || segs[0] != "openapi" || segs[1] != "instances" {
		return false
	}
	tail := ""
	if len(segs) == 4 {
		tail = segs[3]
	}
	switch tail {
	case "":
		return method == http.MethodGet
	case "snapshot-repos":
		return method == http.MethodGet || method == http.MethodPost || method == http.MethodDelete
	case "alternative-snapshot-repos":
		return method == http.MethodGet
	}
	return false
}
