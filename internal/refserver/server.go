// Package refserver is the reference implementation of AddSnapshotRepo and
// its companion operations. The public face is package server; this package
// also holds the planted faults the suite's own tests switch on.
package refserver

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apierror"
	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/contract"
	"github.com/snaprepo/conform/world"
)

// MaxBody is the largest request body read; a larger one gets 413.
const MaxBody = 1 << 20

// drainLimit is how much of an oversized body is read and discarded before
// answering, so the client sees the 413 instead of a reset connection.
const drainLimit = 16 << 20

// Config builds a Server.
type Config struct {
	World *world.World
	// Region is the region this endpoint serves; default the world's.
	Region string
	// Auth checks signatures; off serves every request.
	Auth bool
	// DataDir keeps repositories across restarts; empty keeps them in memory.
	DataDir string
	// NonceCapacity bounds the nonces remembered against replays; when
	// that many are still valid, new signed requests get 400 Throttling.User (the gateway's status for it).
	// 0 means acs.DefaultNonceCapacity.
	NonceCapacity int
	Logger        *slog.Logger
	// Now is the clock for signature dates; default time.Now.
	Now    func() time.Time
	Faults Faults
	// ControlToken turns the control API on (ControlPrefix); empty leaves
	// it off and its paths unknown.
	ControlToken string
}

// Server is the reference implementation as an http.Handler.
type Server struct {
	cfg Config
	// now is the world answered from: the configured one, as the control
	// API changed it.
	now      atomic.Pointer[liveWorld]
	region   string
	store    *Store
	verifier *acs.Verifier
	log      *slog.Logger
	hostID   string
	// State of planted faults only: the destination listed last
	// (ListLeaks) and the pairs deleted (ReAddRefused).
	lastListed swapString
	deleted    *Store
	// unavailable holds the world's repositories whose status is
	// unavailable, until they are deleted.
	unavailable *Store
	limits      limits
	// recent are the last nonces seen, for the ShortNonceMemory fault;
	// perConn numbers answers per connection, for RequestIDPerConnection.
	recent  recentNonces
	perConn connectionCounts
	// ctl is the control API's state.
	ctl control
}

// limits are the defaults and bounds of parameters, as the contract ledger
// (fixtures/contract.yaml) gives them.
type limits struct {
	alreadySetDefault bool
	clientToken       contract.Parameter
	page, size        int
	maxSize           int
}

// ledgerLimits reads limits from the contract ledger.
func ledgerLimits(l *contract.Ledger) (limits, error) {
	param := func(op, name string) (contract.Parameter, error) {
		if o := l.Operation(op); o != nil {
			if p := o.Param(name); p != nil {
				return *p, nil
			}
		}
		return contract.Parameter{}, fmt.Errorf("contract ledger: %s has no parameter %s", op, name)
	}
	var out limits
	alt, err := param("ListAlternativeSnapshotRepos", "alreadySetItems")
	if err != nil {
		return out, err
	}
	if out.alreadySetDefault, err = strconv.ParseBool(alt.Default); err != nil {
		return out, fmt.Errorf("contract ledger: alreadySetItems default: %w", err)
	}
	if out.clientToken, err = param("DeleteSnapshotRepo", "clientToken"); err != nil {
		return out, err
	}
	page, err := param("ListInstance", "page")
	if err != nil {
		return out, err
	}
	size, err := param("ListInstance", "size")
	if err != nil {
		return out, err
	}
	if out.page, err = strconv.Atoi(page.Default); err != nil {
		return out, fmt.Errorf("contract ledger: page default: %w", err)
	}
	if out.size, err = strconv.Atoi(size.Default); err != nil {
		return out, fmt.Errorf("contract ledger: size default: %w", err)
	}
	out.maxSize = size.Max
	return out, nil
}

// swapString is a string swapped atomically.
type swapString struct {
	mu sync.Mutex
	s  string
}

// Swap stores s and returns the string stored before.
func (w *swapString) Swap(s string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	old := w.s
	w.s = s
	return old
}

// New builds a Server from its config.
func New(cfg Config) (*Server, error) {
	if cfg.World == nil {
		return nil, errors.New("reference server: no world given")
	}
	if cfg.Region == "" {
		cfg.Region = cfg.World.Region
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, region: cfg.Region, log: cfg.Logger,
		hostID: "elasticsearch." + cfg.Region + ".aliyuncs.com"}
	ledger, err := contract.Builtin()
	if err != nil {
		return nil, err
	}
	if s.limits, err = ledgerLimits(ledger); err != nil {
		return nil, err
	}
	store, err := OpenStore(cfg.DataDir, cfg.Faults.seedRepos(cfg.World.Repos), func(id string) bool { return cfg.World.Instance(id) != nil }, &s.cfg.Faults)
	if err != nil {
		return nil, err
	}
	s.store = store
	s.deleted, _ = OpenStore("", nil, nil, &Faults{})
	var unavailable []world.Repo
	for _, r := range cfg.World.Repos {
		if r.Status == world.RepoUnavailable {
			unavailable = append(unavailable, r)
		}
	}
	s.unavailable, _ = OpenStore("", unavailable, nil, &Faults{})
	s.now.Store(newLiveWorld(cfg.World, cfg.Region))
	s.verifier = acs.NewVerifier(s.secretOf, func() time.Time { return s.cfg.Now() }, cfg.NonceCapacity)
	return s, nil
}

// Close drops the requests still in an injected delay and releases the
// server's data directory (its lock and journal).
func (s *Server) Close() error {
	s.DropDelayed()
	return s.store.Close()
}

// Store is the server's repository state.
func (s *Server) Store() *Store { return s.store }

func (s *Server) secretOf(keyID string) (string, bool) {
	_, secret, ok := s.w().KeyOwner(keyID)
	return secret, ok && secret != ""
}

// exchange is one request and what is known of it so far, for the answer and
// the log line.
type exchange struct {
	w         http.ResponseWriter
	r         *http.Request
	requestID string
	action    string
	account   string
	status    int
	code      string
}

func (s *Server) newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return s.cfg.Faults.reshapeRequestID(h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32])
}

// ServeHTTP answers one request. No input makes it panic or answer 5xx,
// except a failure to persist state, which is the server's and says so.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cfg.ControlToken != "" && strings.HasPrefix(r.URL.Path, ControlPrefix) {
		s.serveControl(w, r)
		return
	}
	s.applyDue()
	start := time.Now()
	x := &exchange{w: w, r: r, requestID: s.newRequestID(), action: r.Header.Get(acs.HeaderAction)}
	if s.cfg.Faults.RequestIDPerConnection {
		x.requestID = fmt.Sprintf("%08X-0000-4000-8000-000000000000", s.perConn.next(r.RemoteAddr))
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p) // an injected dropped connection
			}
			s.log.Error("panic answering a request", "panic", fmt.Sprint(p), "method", r.Method, "path", r.URL.EscapedPath())
			if x.status == 0 {
				s.fail(x, apierror.InternalError)
			}
		}
		if !s.log.Enabled(r.Context(), slog.LevelInfo) {
			return
		}
		s.log.Info("request", "method", r.Method, "path", truncate(r.URL.EscapedPath(), 200), "action", x.action,
			"account", x.account, "status", x.status, "code", x.code, "duration", time.Since(start), "requestId", x.requestID)
	}()
	if op, _ := contract.MustBuiltin().Match(r.Method, r.URL.EscapedPath()); op != nil {
		if x.action == "" {
			x.action = op.Name
		}
		if f, dropped, ok := s.takeInjected(op.Name); ok && s.injectedAnswer(x, f, dropped) {
			return
		}
	}
	body, tooLarge, err := readBody(r)
	switch {
	case tooLarge && s.cfg.Faults.HugeBody5xx:
		s.fail(x, apierror.InternalError)
		return
	case tooLarge:
		s.fail(x, apierror.BodyTooLarge)
		return
	case err != nil:
		s.fail(x, apierror.InvalidBody.WithMessage("The request body could not be read: "+err.Error()))
		return
	}
	account, ok := s.authenticate(x, body)
	if !ok {
		return
	}
	x.account = account
	s.route(x, body)
}

// readBody reads at most MaxBody bytes; past that it drains (bounded) and
// reports tooLarge.
func readBody(r *http.Request) (body []byte, tooLarge bool, err error) {
	if r.Body == nil {
		return nil, false, nil
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, false, err
	}
	if len(body) > MaxBody {
		io.CopyN(io.Discard, r.Body, drainLimit)
		return nil, true, nil
	}
	return body, false, nil
}

func (s *Server) authenticate(x *exchange, body []byte) (account string, ok bool) {
	auth := x.r.Header.Get(acs.HeaderAuthorization)
	if !s.cfg.Auth || (auth == "" && s.cfg.Faults.AcceptUnsigned) {
		return s.unverifiedAccount(auth), true
	}
	keyID, failure := s.verifier.Verify(x.r, body)
	if failure != nil {
		switch {
		case s.cfg.Faults.AnySignature && failure.Err.Is(apierror.SignatureDoesNotMatch.Code):
			keyID = acs.AuthorizationKeyID(auth)
		case s.cfg.Faults.NoNonceCheck && (failure.Err.Is(apierror.NonceUsed.Code) || failure.Err.Is(apierror.TimestampExpired.Code)):
			keyID = acs.AuthorizationKeyID(auth)
		case s.cfg.Faults.NoContentHashCheck && failure.Err.Is(apierror.ContentHashMismatch.Code) && hashUnchecked(x.r, s.secretFor(auth)):
			keyID = acs.AuthorizationKeyID(auth)
		case s.cfg.Faults.FutureDatesOK && failure.Err.Is(apierror.TimestampExpired.Code) && datedAhead(x.r, s.cfg.Now()):
			keyID = acs.AuthorizationKeyID(auth)
		case s.cfg.Faults.ROANonceUnchecked && failure.Err.Is(apierror.NonceUsed.Code) && strings.HasPrefix(auth, acs.SchemeV1+" "):
			keyID = acs.AuthorizationKeyID(auth)
		case s.cfg.Faults.AnyAlgorithm && failure.Err.Is(apierror.IncompleteSignature.Code) && strings.HasPrefix(auth, "ACS3-") && !strings.HasPrefix(auth, acs.SchemeV3+" "):
			_, rest, _ := strings.Cut(auth, " ")
			keyID = acs.ParseV3Authorization(rest).KeyID
		case s.cfg.Faults.UnsignedNonceOK && failure.Err.Is(apierror.IncompleteSignature.Code) &&
			(strings.Contains(failure.Err.Message, "x-acs-date is missing") || strings.Contains(failure.Err.Message, "x-acs-signature-nonce is missing")):
			keyID = acs.AuthorizationKeyID(auth)
		case s.cfg.Faults.SignaturePrefix && failure.Err.Is(apierror.SignatureDoesNotMatch.Code) && signatureIsPrefix(x.r, s.secretFor(auth)):
			keyID = acs.AuthorizationKeyID(auth)
		case s.cfg.Faults.AnyKnownSecret && failure.Err.Is(apierror.SignatureDoesNotMatch.Code) && s.anySecretSigns(x.r):
			keyID = acs.AuthorizationKeyID(auth)
		case s.cfg.Faults.ROABodyUnchecked && failure.Err.Is(apierror.ContentMD5Mismatch.Code) && strings.HasPrefix(auth, acs.SchemeV1+" "):
			keyID = acs.AuthorizationKeyID(auth)
		case s.cfg.Faults.ShortNonceMemory && failure.Err.Is(apierror.NonceUsed.Code) && !s.recent.seen(x.r.Header.Get(acs.HeaderNonce)):
			keyID = acs.AuthorizationKeyID(auth)
		default:
			s.fail(x, failure.Err)
			return "", false
		}
	}
	if s.cfg.Faults.ShortNonceMemory {
		s.recent.add(x.r.Header.Get(acs.HeaderNonce))
	}
	account, secret, _ := s.w().KeyOwner(keyID)
	if (s.cfg.Faults.GoQueryFormOnly && !goQueryFormOnly(x.r, secret)) || (s.cfg.Faults.SortlessROAQuery && !queryInOrder(x.r)) {
		s.fail(x, apierror.SignatureDoesNotMatch)
		return "", false
	}
	return account, true
}

// secretFor is the secret of the AccessKey an Authorization header names.
func (s *Server) secretFor(auth string) string {
	_, secret, _ := s.w().KeyOwner(acs.AuthorizationKeyID(auth))
	return secret
}

// unverifiedAccount is the caller's account when signatures are not checked:
// the owner of the AccessKeyId named in Authorization if the world knows it,
// else the world's first account.
func (s *Server) unverifiedAccount(auth string) string {
	if acct, _, ok := s.w().KeyOwner(acs.AuthorizationKeyID(auth)); ok {
		return acct
	}
	if len(s.w().Accounts) > 0 {
		return s.w().Accounts[0].ID
	}
	return ""
}

// route dispatches on the escaped path, segment by segment: the standard
// mux would clean ".." into a redirect and split "%2F", and both must reach
// the handlers as instance IDs to be refused with an envelope.
func (s *Server) route(x *exchange, body []byte) {
	segs := strings.Split(strings.TrimPrefix(x.r.URL.EscapedPath(), "/"), "/")
	if s.cfg.Faults.UnknownPathOK && !known(segs, x.r.Method) {
		s.ok(x, map[string]any{})
		return
	}
	if len(segs) < 2 || segs[0] != "openapi" {
		s.fail(x, apierror.NotFound)
		return
	}
	method := x.r.Method
	switch {
	case len(segs) == 2 && segs[1] == "instances" && method == http.MethodGet:
		s.listInstances(x)
		return
	case len(segs) == 2 && segs[1] == "regions" && method == http.MethodGet:
		s.describeRegions(x)
		return
	case segs[1] != "instances" || len(segs) < 3 || len(segs) > 4:
		s.fail(x, apierror.NotFound)
		return
	}
	id, err := url.PathUnescape(segs[2])
	if err != nil {
		id = segs[2]
	}
	tail := ""
	if len(segs) == 4 {
		tail = segs[3]
	}
	switch {
	case tail == "" && method == http.MethodGet:
		s.describeInstance(x, id)
	case tail == "snapshot-repos" && method == http.MethodPost:
		s.addSnapshotRepo(x, id, body)
	case tail == "snapshot-repos" && method == http.MethodGet:
		s.listSnapshotRepos(x, id)
	case tail == "snapshot-repos" && method == http.MethodDelete:
		s.deleteSnapshotRepo(x, id)
	case tail == "alternative-snapshot-repos" && method == http.MethodGet:
		s.listAlternatives(x, id)
	default:
		s.fail(x, apierror.NotFound)
	}
}

// envelope is the error answer; the SDKs read these names case-sensitively.
type envelope struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message,omitempty"`
	Recommend string `json:"Recommend"`
}

func (s *Server) fail(x *exchange, e apierror.Error) {
	status, e := s.cfg.Faults.reshapeError(e)
	msg := e.Message
	x.code = e.Code
	s.write(x, status, envelope{
		RequestID: x.requestID,
		HostID:    s.hostID,
		Code:      e.Code,
		Message:   msg,
		Recommend: apierror.Recommend + "?q=" + url.QueryEscape(e.Code) + "&product=Elasticsearch&requestId=" + x.requestID,
	})
}

func (s *Server) write(x *exchange, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"Code":"InternalError","Message":"encoding the answer failed","RequestId":"` + x.requestID + `"}`)
	}
	h := x.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-acs-request-id", strings.TrimSuffix(x.requestID, requestIDMarkup)) // a header cannot carry the markup fault
	x.status = status
	x.w.WriteHeader(status)
	x.w.Write(data)
}

// ok writes a success answer: {"RequestId": …, "Result": result}.
func (s *Server) ok(x *exchange, result any) {
	s.write(x, http.StatusOK, struct {
		RequestID string `json:"RequestId"`
		Result    any    `json:"Result"`
	}{x.requestID, result})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// destination is the instance id names for the caller at this endpoint, or
// nil: an instance of another account, or of another region, does not exist
// for this caller here.
func (s *Server) destination(account, id string) *checks.Instance {
	inst := s.w().VisibleTo(account, id)
	if inst == nil || inst.Region != s.region {
		return nil
	}
	return inst
}

// liveWorld is the world answered from, with its index.
type liveWorld struct {
	world *world.World
	// byAccount indexes the instances of this region by account, in the
	// world's order, for ListInstance.
	byAccount map[string][]int
}

func newLiveWorld(w *world.World, region string) *liveWorld {
	l := &liveWorld{world: w, byAccount: map[string][]int{}}
	for i := range w.Instances {
		if in := &w.Instances[i]; in.Region == region {
			l.byAccount[in.Account] = append(l.byAccount[in.Account], i)
		}
	}
	return l
}

// w is the world answered from now.
func (s *Server) w() *world.World { return s.now.Load().world }
