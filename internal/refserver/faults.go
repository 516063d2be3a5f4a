package refserver

import (
	"net/http"
	"slices"
	"strings"

	"github.com/snaprepo/conform/acs"
)

// Faults are realistic mistakes an implementation of the API makes, planted
// one at a time into the reference server to prove the suite catches each.
// They live in this internal package so that no user of conform can switch
// one on; the zero value is the faithful server.
type Faults struct {
	StringVersions      bool // compares esVersion strings instead of numbers
	IgnoreFormBody      bool // reads only JSON bodies: form body= is "missing repoPath"
	ConstantRequestID   bool // answers the same RequestId every time
	RefusalCreates      bool // refuses a pair but stores the repository anyway
	NotFoundAs404       bool // InstanceNotFound with HTTP 404 instead of 400
	NoMessage           bool // error envelopes without Message
	AcceptUnsigned      bool // serves a request with no Authorization as the first account
	RevealOtherAccount  bool // another account's destination gets 403, not InstanceNotFound
	HugeBody5xx         bool // a body over the limit gets 500
	HangOnActivating    bool // never answers for an activating destination
	IgnoreRegion        bool // does not check RULE-SAME-REGION
	IgnoreKernel        bool // does not check RULE-KERNEL-6.7
	DuplicateOnRepeat   bool // a second identical add stores a second entry
	RaceOnConcurrentAdd bool // checks and inserts under separate locks
	AnySignature        bool // accepts a signature made with any secret
	NoNonceCheck        bool // accepts a reused nonce and a stale date
	ListOmits           bool // ListSnapshotReposByInstanceId always answers []
	AllowSelf           bool // lets an instance reference its own repository
	AcceptUnknownSource bool // stores a repository of a source that does not exist
	ResultAsString      bool // answers "Result": "true" instead of true
	GoQueryFormOnly     bool // verifies ROA 1.0 only as the Go SDKs write an empty query value ("key"), refusing Node's "key="
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
