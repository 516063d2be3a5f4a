package refserver

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apierror"
	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/world"
)

// Faults are realistic mistakes an implementation of the API makes, planted
// one at a time into the reference server to prove the suite catches each.
// Each field's fault tag says what it breaks, its catches tag the
// requirement that fails ("… only": and no other). The zero value is the
// faithful server; conform serve --fault NAME plants one (Planted).
type Faults struct {
	StringVersions          bool `fault:"compares esVersion strings instead of numbers" catches:"OK-OLDER-VERSION"`
	IgnoreFormBody          bool `fault:"reads only JSON bodies: form body= is \"missing repoPath\"" catches:"REQ-FORM-BODY"`
	ConstantRequestID       bool `fault:"answers the same RequestId every time" catches:"OK-REQUEST-ID"`
	RefusalCreates          bool `fault:"refuses a pair but stores the repository anyway" catches:"RULE-NO-SIDE-EFFECT only"`
	NotFoundAs404           bool `fault:"InstanceNotFound with HTTP 404 instead of 400" catches:"ERR-INSTANCE-NOT-FOUND"`
	NoMessage               bool `fault:"error envelopes without Message" catches:"ERR-ENVELOPE"`
	AcceptUnsigned          bool `fault:"serves a request with no Authorization as the first account" catches:"AUTH-REQUIRED"`
	RevealOtherAccount      bool `fault:"another account's destination gets 403, not InstanceNotFound" catches:"AUTH-TENANT"`
	HugeBody5xx             bool `fault:"a body over the limit gets 500" catches:"ROB-BODY-LIMIT"`
	HangOnActivating        bool `fault:"never answers for an activating destination" catches:"ERR-INSTANCE-ACTIVATING"`
	IgnoreRegion            bool `fault:"does not check RULE-SAME-REGION" catches:"RULE-SAME-REGION"`
	IgnoreKernel            bool `fault:"does not check RULE-KERNEL-6.7" catches:"RULE-KERNEL-6.7"`
	DuplicateOnRepeat       bool `fault:"a second identical add stores a second entry" catches:"OK-REPEAT"`
	RaceOnConcurrentAdd     bool `fault:"checks and inserts under separate locks" catches:"ROB-CONCURRENT"`
	AnySignature            bool `fault:"accepts a signature made with any secret" catches:"AUTH-BAD-SIGNATURE"`
	NoNonceCheck            bool `fault:"accepts a reused nonce and a stale date" catches:"AUTH-REPLAY"`
	ListOmits               bool `fault:"ListSnapshotReposByInstanceId always answers []" catches:"OK-LISTED"`
	AllowSelf               bool `fault:"lets an instance reference its own repository" catches:"RULE-DISTINCT"`
	AcceptUnknownSource     bool `fault:"stores a repository of a source that does not exist" catches:"RULE-SOURCE-EXISTS"`
	ResultAsString          bool `fault:"answers \"Result\": \"true\" instead of true" catches:"OK-CREATED"`
	GoQueryFormOnly         bool `fault:"verifies ROA 1.0 only as the Go SDKs write an empty query value (\"key\"), refusing Node's \"key=\"" catches:"SDK-NODE"`
	DeleteKeepsRepo         bool `fault:"DeleteSnapshotRepo answers success and removes nothing" catches:"OK-DELETED only"`
	DeleteClearsAll         bool `fault:"DeleteSnapshotRepo removes every repository of the destination" catches:"OK-DELETED"`
	DeleteAnyAccount        bool `fault:"DeleteSnapshotRepo acts on another account's destination" catches:"AUTH-TENANT"`
	DescribeWrongVersion    bool `fault:"DescribeInstance reports esVersion 7.0.0 for every instance" catches:"OK-DESCRIBE"`
	UnknownPathOK           bool `fault:"an unknown path or method answers 200 {}" catches:"ERR-UNKNOWN-PATH"`
	NoContentHashCheck      bool `fault:"an ACS3 body need not match x-acs-content-sha256" catches:"AUTH-CONTENT-HASH"`
	FutureDatesOK           bool `fault:"accepts request dates up to any time ahead" catches:"AUTH-REPLAY"`
	ROANonceUnchecked       bool `fault:"accepts a reused nonce in ROA 1.0 (ACS3 is checked)" catches:"AUTH-REPLAY"`
	IgnoreAlreadySet        bool `fault:"ListAlternativeSnapshotRepos offers referenced sources whatever alreadySetItems says" catches:"OK-ALTERNATIVES"`
	OtherSourceRevealed     bool `fault:"another account's source gets 403 naming its account, not the missing-source answer" catches:"AUTH-TENANT"`
	LoseFourthRepo          bool `fault:"a destination's fourth repository is answered success and never stored" catches:"STATE-MODEL"`
	ListLeaks               bool `fault:"ListSnapshotReposByInstanceId also lists the repositories of the destination listed before" catches:"STATE-MODEL"`
	ReAddRefused            bool `fault:"a pair once deleted is refused ever after" catches:"STATE-MODEL"`
	UnsignedNonceOK         bool `fault:"accepts ACS3 requests that leave x-acs-date or x-acs-signature-nonce out of SignedHeaders" catches:"AUTH-BAD-SIGNATURE"`
	AnyAlgorithm            bool `fault:"accepts an ACS3 Authorization naming an unknown algorithm, whatever its signature" catches:"AUTH-BAD-SIGNATURE"`
	SignaturePrefix         bool `fault:"compares a signature by prefix: a truncated one verifies" catches:"AUTH-BAD-SIGNATURE"`
	AnyKnownSecret          bool `fault:"accepts a key's request signed with any other key's secret" catches:"AUTH-BAD-SIGNATURE"`
	ROABodyUnchecked        bool `fault:"accepts a ROA 1.0 body that does not match its signed Content-MD5" catches:"AUTH-BAD-SIGNATURE"`
	ShortNonceMemory        bool `fault:"forgets a nonce after 256 other signed requests" catches:"AUTH-REPLAY"`
	Describe5xxUnknown      bool `fault:"DescribeInstance of an unknown ID answers 500" catches:"ROB-NO-5XX"`
	DeleteSlash5xx          bool `fault:"DeleteSnapshotRepo of an ID holding %2F answers 500" catches:"ROB-NO-5XX"`
	EmptyClientToken5xx     bool `fault:"DeleteSnapshotRepo with an empty clientToken answers 500" catches:"ROB-NO-5XX"`
	NonASCIIRepoPath5xx     bool `fault:"a repoPath that is not ASCII (CJK) answers 500" catches:"ROB-NO-5XX"`
	BacktrackingRepoPath    bool `fault:"a pattern on repoPath backtracks without end on a letter run ending in a symbol: the request hangs" catches:"ROB-NO-5XX"`
	ListUnknownEmpty        bool `fault:"ListSnapshotReposByInstanceId of an unknown destination answers 200 [] (another account's still gets InstanceNotFound: an existence oracle)" catches:"AUTH-TENANT"`
	FormSkipsKernel         bool `fault:"the classic SDK's form body skips the 6.7.0 kernel rule" catches:"RULE-KERNEL-6.7"`
	FormRefusalsOK          bool `fault:"the classic SDK's form body gets 200 Result true where a rule refuses (nothing is stored)" catches:"RULE-SAME-REGION"`
	SnapWarehouseOfFirst    bool `fault:"every list item names the first source's snapWarehouse" catches:"STATE-MODEL"`
	DeleteFirstEntry        bool `fault:"DeleteSnapshotRepo removes the destination's first repository, not the one named" catches:"STATE-MODEL"`
	DeletePrefix            bool `fault:"DeleteSnapshotRepo removes every repository whose source shares the named one's first ten characters" catches:"STATE-MODEL"`
	DeleteEverywhere        bool `fault:"DeleteSnapshotRepo removes the source from every destination, not only the one named" catches:"STATE-MODEL"`
	LoseEvery50th           bool `fault:"every 50th acknowledged add is never stored" catches:"STATE-MODEL"`
	LostUpdate              bool `fault:"an add reads the destination's list and writes it back unlocked: two different sources added at once keep one" catches:"ROB-CONCURRENT"`
	RequestIDPerConnection  bool `fault:"RequestIds count per connection: the first answer on every connection has the same one" catches:"STATE-MODEL"`
	ListGarbage             bool `fault:"every ListSnapshotReposByInstanceId answer carries an entry nobody added" catches:"OK-LISTED"`
	RequestIDMarkup         bool `fault:"RequestIds carry a terminal escape and markup (ESC[2J<script>)" catches:"OK-CREATED"`
	ListInstanceAll         bool `fault:"ListInstance lists every account's instances of the region, not only the caller's" catches:"STATE-MODEL"`
	ListInstanceFirstPage   bool `fault:"ListInstance ignores page: every page is the first" catches:"STATE-MODEL"`
	AlreadySetDefaultFalse  bool `fault:"ListAlternativeSnapshotRepos without alreadySetItems leaves out the repositories already added (the documented default is true)" catches:"OK-ALTERNATIVES"`
	DeleteWhileActivating   bool `fault:"DeleteSnapshotRepo acts on an activating destination instead of answering its documented InstanceActivating" catches:"ERR-INSTANCE-ACTIVATING"`
	SortlessROAQuery        bool `fault:"signs a ROA 1.0 query in the order sent, not sorted: a request whose query is not in key order (as @alicloud/pop-core writes the caller's) is refused" catches:"SDK-NODE"`
	ForgetWorldRepos        bool `fault:"starts without the world's repositories: a destination that already references a source lists nothing" catches:"STATE-MODEL"`
	ListInstanceTotalAll    bool `fault:"ListInstance's Headers.X-Total-Count counts every instance the server holds, not the caller's of the region" catches:"STATE-MODEL"`
	DeleteUnnamedClears     bool `fault:"DeleteSnapshotRepo without repoPath, or with it empty, removes every repository of the destination (a prefix match on nothing)" catches:"STATE-MODEL"`
	ListInstanceSizeZero5xx bool `fault:"ListInstance with size=0 answers 500 (a division by the page size)" catches:"ROB-NO-5XX"`
	KernelRuleAnyEdition    bool `fault:"applies the 6.7.0 kernel rule to every edition, not only to two Standard Edition instances" catches:"OK-CREATED exhaustive"`
}

// seedRepos is the world's repositories the server starts from.
func (f *Faults) seedRepos(repos []world.Repo) []world.Repo {
	if f.ForgetWorldRepos {
		return nil
	}
	return repos
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

// requestIDMarkup is what the RequestIDMarkup fault puts in the body's
// RequestIds.
const requestIDMarkup = "\x1b[2J<script>"

// reshapeRequestID is an answer's RequestId.
func (f *Faults) reshapeRequestID(id string) string {
	if f.ConstantRequestID {
		return "00000000-0000-0000-0000-000000000000"
	}
	if f.RequestIDMarkup {
		return id + requestIDMarkup
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

// queryInOrder is the check of the SortlessROAQuery fault: a ROA 1.0
// request verifies only when its query keys were sent in sorted order,
// the only order in which signing them as sent agrees with the scheme.
func queryInOrder(r *http.Request) bool {
	if !strings.HasPrefix(r.Header.Get(acs.HeaderAuthorization), acs.SchemeV1+" ") {
		return true
	}
	var keys []string
	for pair := range strings.SplitSeq(r.URL.RawQuery, "&") {
		k, _, _ := strings.Cut(pair, "=")
		keys = append(keys, k)
	}
	return slices.IsSorted(keys)
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
	inst := s.w().Instance(id)
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

// signatureOf is the signature a request carries and the one its scheme
// gives it under secret (ROA 1.0 in the Go SDKs' form, or ACS3 over the
// headers it names), for the faults that compare them wrongly.
func signatureOf(r *http.Request, secret string) (got, want string) {
	auth := r.Header.Get(acs.HeaderAuthorization)
	if rest, ok := strings.CutPrefix(auth, acs.SchemeV3+" "); ok {
		a := acs.ParseV3Authorization(rest)
		cr := acs.CanonicalRequestV3(r.Method, r.URL.EscapedPath(), r.URL.Query(), r.Header, r.Host, strings.Split(a.SignedHeaders, ";"), r.Header.Get(acs.HeaderContentSHA256))
		return a.Signature, acs.SignatureV3(secret, acs.StringToSignV3(cr))
	}
	if rest, ok := strings.CutPrefix(auth, acs.SchemeV1+" "); ok {
		_, sig, _ := strings.Cut(rest, ":")
		return sig, acs.SignatureV1(secret, acs.StringToSignV1(r.Method, r.Header, r.URL.Path, r.URL.Query(), acs.V1Form{}))
	}
	return "", ""
}

// signatureIsPrefix is the SignaturePrefix fault's comparison: the
// signature sent is any non-empty prefix of the right one.
func signatureIsPrefix(r *http.Request, secret string) bool {
	got, want := signatureOf(r, secret)
	return got != "" && strings.HasPrefix(want, got)
}

// anySecretSigns is the AnyKnownSecret fault's check: the request is signed
// right under some AccessKey's secret of the world, whichever key it names.
func (s *Server) anySecretSigns(r *http.Request) bool {
	for _, a := range s.w().Accounts {
		for _, k := range a.AccessKeys {
			if got, want := signatureOf(r, k.Secret); got != "" && got == want {
				return true
			}
		}
	}
	return false
}

// recentNonces remembers the last 256 nonces, for the ShortNonceMemory
// fault: a server that forgets a nonce long before its date expires.
type recentNonces struct {
	mu   sync.Mutex
	ring [256]string
	next int
	set  map[string]bool
}

func (n *recentNonces) add(nonce string) {
	if nonce == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.set == nil {
		n.set = map[string]bool{}
	}
	delete(n.set, n.ring[n.next])
	n.ring[n.next] = nonce
	n.set[nonce] = true
	n.next = (n.next + 1) % len(n.ring)
}

func (n *recentNonces) seen(nonce string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.set[nonce]
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// backtracks is the input on which the BacktrackingRepoPath fault's pattern
// never ends: 26 letters or more, then a character that is no letter,
// digit or '-'.
func backtracks(s string) bool {
	n := 0
	for n < len(s) && s[n] >= 'a' && s[n] <= 'z' {
		n++
	}
	if n < 26 || n != len(s)-1 {
		return false
	}
	c := s[n]
	return !(c >= '0' && c <= '9' || c == '-')
}

// connectionCounts numbers each connection's answers, for the
// RequestIDPerConnection fault.
type connectionCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *connectionCounts) next(conn string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	if len(c.n) > 4096 {
		clear(c.n)
	}
	c.n[conn]++
	return c.n[conn]
}

// farKernels are kernels that pass the 6.7.0 kernel rule whatever the
// latest kernel: the destination's far newer than the source's.
func farKernels() (dest, source *checks.Kernel) {
	return checks.NewKernel(999, 0, 0), checks.NewKernel(0, 0, 0)
}

// plantFacts is what the decision faults tell the rules instead of the
// truth: a fault that ignores a rule hands them facts that pass it, so the
// verdict is the rules' own, on other facts. skipKernel leaves the kernel
// rule unchecked for one request (the form body's fault).
func (f *Faults) plantFacts(dest *checks.Instance, destID, srcID string, src *checks.Instance, skipKernel bool) (*checks.Instance, string, *checks.Instance) {
	if plants := f.IgnoreRegion || f.IgnoreKernel || skipKernel || f.StringVersions || f.KernelRuleAnyEdition; plants && dest != nil && src != nil {
		// Copies only when a fault plants a fact: a faithful server's hot
		// path hands the rules the world's own instances.
		d, c := *dest, *src
		if f.IgnoreRegion {
			c.Region = d.Region
		}
		if f.IgnoreKernel || skipKernel {
			d.Kernel, c.Kernel = farKernels()
		}
		if f.KernelRuleAnyEdition {
			d.Edition, c.Edition = checks.EditionStandard, checks.EditionStandard
		}
		if f.StringVersions {
			// Where the strings' order and the numbers' disagree, the
			// strings', told as versions: newer than the destination, or
			// the destination's own.
			byString, byNumber := src.Version.Raw > dest.Version.Raw, src.Version.Compare(dest.Version) > 0
			switch {
			case byString && !byNumber:
				if newer, err := checks.ParseVersion(fmt.Sprintf("%d.0.0", d.Version.Key.Major+1)); err == nil {
					c.Version = newer
				}
			case !byString && byNumber:
				c.Version = d.Version
			}
		}
		dest, src = &d, &c
	}
	if f.AllowSelf && srcID == destID {
		srcID += " (itself, distinct to this fault)"
	}
	return dest, srcID, src
}
