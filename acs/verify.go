package acs

import (
	"crypto/hmac"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/snaprepo/conform/apierror"
)

// MaxNonceLength is the longest x-acs-signature-nonce accepted. The official
// SDKs send 32 hexadecimal digits (Go) or a UUID-like string (Node), well
// under it; a longer one is refused before anything is remembered.
const MaxNonceLength = 64

// DefaultNonceCapacity is how many nonces a Verifier remembers at most for
// one AccessKey.
const DefaultNonceCapacity = 1 << 20

// Verifier checks the signature of incoming requests, in either scheme, and
// refuses replays.
type Verifier struct {
	// Secret returns the secret of an AccessKeyId, ok false when unknown.
	Secret func(accessKeyID string) (secret string, ok bool)
	// Now is the server's clock.
	Now    func() time.Time
	nonces *NonceCache
}

// NewVerifier makes a Verifier that remembers at most capacity nonces per
// AccessKey (0 means DefaultNonceCapacity).
func NewVerifier(secret func(string) (string, bool), now func() time.Time, capacity int) *Verifier {
	if capacity <= 0 {
		capacity = DefaultNonceCapacity
	}
	return &Verifier{Secret: secret, Now: now, nonces: NewNonceCache(capacity)}
}

// Forget forgets every nonce seen: replays are accepted again, as after a
// restart.
func (v *Verifier) Forget() { v.nonces.Forget() }

// Failure is a refused signature: the API error to answer, with detail.
type Failure struct {
	Err apierror.Error
}

// Error says the code and the message.
func (f *Failure) Error() string { return f.Err.Code + ": " + f.Err.Message }

func fail(e apierror.Error, detail string) *Failure {
	if detail != "" {
		e = e.WithMessage(e.Message + " " + detail)
	}
	return &Failure{Err: e}
}

// Verify checks r (whose body has been read into body) and returns the
// AccessKeyId that signed it. A request verifies only as it was signed: no
// header moved, added, repeated or dropped, no body changed where the
// scheme covers it, no nonce seen before while its date is still valid.
func (v *Verifier) Verify(r *http.Request, body []byte) (string, *Failure) {
	auth := r.Header.Values(HeaderAuthorization)
	switch {
	case len(auth) == 0 || auth[0] == "":
		return "", fail(apierror.MissingSignature, "")
	case len(auth) > 1:
		return "", fail(apierror.AmbiguousRequest, "Authorization is sent more than once.")
	case strings.HasPrefix(auth[0], SchemeV3+" "):
		return v.verifyV3(r, body, strings.TrimPrefix(auth[0], SchemeV3+" "))
	case strings.HasPrefix(auth[0], SchemeV1+" "):
		return v.verifyV1(r, body, strings.TrimPrefix(auth[0], SchemeV1+" "))
	}
	return "", fail(apierror.IncompleteSignature, "The Authorization header must start with \"acs \" or \"ACS3-HMAC-SHA256 \".")
}

// checkDate parses the signed date and checks it is within Window of the
// server's clock.
func (v *Verifier) checkDate(raw, layout, header string) (time.Time, *Failure) {
	if raw == "" {
		return time.Time{}, fail(apierror.IncompleteSignature, "The "+header+" header is missing.")
	}
	t, err := time.Parse(layout, raw)
	if err != nil {
		return time.Time{}, fail(apierror.IncompleteSignature, "The "+header+" header \""+truncate(raw, 64)+"\" is not a date of the form "+layout+".")
	}
	if d := v.Now().Sub(t); d > Window || d < -Window {
		// The gateway's own message, word for word (its envelope has no
		// detail here); the window is docs/signing.md's.
		return time.Time{}, fail(apierror.TimestampExpired, "")
	}
	return t, nil
}

// checkNonce refuses a nonce longer than any official SDK sends.
func checkNonce(nonce string) *Failure {
	if len(nonce) > MaxNonceLength {
		return fail(apierror.NonceTooLong, "")
	}
	return nil
}

// remember records keyID's nonce until the signed date leaves the window:
// a replay is refused as long as its date would still be accepted.
func (v *Verifier) remember(keyID, nonce string, signed time.Time) *Failure {
	switch v.nonces.Add(keyID, nonce, signed.Add(Window), v.Now()) {
	case NonceSeen:
		return fail(apierror.NonceUsed, "")
	case NonceCacheFull:
		return fail(apierror.Throttled, "")
	}
	return nil
}

// repeated is the first header of names sent more than once, or "".
func repeated(h http.Header, names []string) string {
	for _, n := range names {
		if len(h[n]) > 1 {
			return n
		}
	}
	return ""
}

func (v *Verifier) verifyV1(r *http.Request, body []byte, cred string) (string, *Failure) {
	keyID, sig, ok := strings.Cut(cred, ":")
	if !ok || keyID == "" || sig == "" {
		return "", fail(apierror.IncompleteSignature, "ROA 1.0 wants Authorization: acs <AccessKeyId>:<signature>.")
	}
	secret, known := v.Secret(keyID)
	if !known {
		return "", fail(apierror.UnknownAccessKey, "")
	}
	if n := repeatedLower(r.Header, acsHeaders(r.Header)); n != "" {
		return "", fail(apierror.AmbiguousRequest, n+" is sent more than once.")
	}
	if n := repeated(r.Header, v1Lines); n != "" {
		return "", fail(apierror.AmbiguousRequest, n+" is sent more than once.")
	}
	signedAt, f := v.checkDate(r.Header.Get(HeaderDate), DateFormatV1, "Date")
	if f != nil {
		return "", f
	}
	nonce := r.Header.Get(HeaderNonce)
	if f := checkNonce(nonce); f != nil {
		return "", f
	}
	md5 := r.Header.Get(HeaderContentMD5)
	if md5 != "" && md5 != ContentMD5(body) {
		return "", fail(apierror.ContentMD5Mismatch, "")
	}
	query := r.URL.Query()
	if f := repeatedQuery(query); f != nil {
		return "", f
	}
	if f := unambiguousV1(r.URL.Path, query); f != nil {
		return "", f
	}
	forms := v1Forms(r.Header, query, md5 != "")
	matched := false
	for _, form := range forms {
		if equal(sig, SignatureV1(secret, StringToSignV1(r.Method, r.Header, r.URL.Path, query, form))) {
			matched = true
			break
		}
	}
	if !matched {
		return "", fail(apierror.SignatureDoesNotMatch, apierror.StringToSignMarker+StringToSignV1(r.Method, r.Header, r.URL.Path, query, V1Form{}))
	}
	if nonce != "" {
		if f := v.remember(keyID, nonce, signedAt); f != nil {
			return "", f
		}
	}
	return keyID, nil
}

// repeatedQuery refuses a query that gives a parameter more than once: both
// schemes sign one value per key, so the others would ride along unsigned.
// No official SDK repeats a parameter (their queries are maps).
func repeatedQuery(query url.Values) *Failure {
	for k, vs := range query {
		if len(vs) > 1 {
			return fail(apierror.AmbiguousRequest, "The query parameter "+strconv.Quote(truncate(k, 64))+" is sent more than once.")
		}
	}
	return nil
}

// unambiguousV1 refuses a request whose ROA 1.0 canonicalized resource
// another request could share. The resource is the decoded path and the
// query unencoded, each parameter "key=value" (or "key" alone when empty, in
// the Go form) joined by '&'. So a '?' in the path, an '&' in a key or value,
// or an '=' in a key lets two different requests ({a: "x&y"} and {a: "x",
// y: ""}; {"a=x": ""} and {a: "x"}; a path with %3F and one with a query)
// carry one signature. An '=' in a value does not: cut at '&' and then at the
// first '=', every such string has one reading, in either empty-value form.
// The official SDKs send none of the refused for this API; ACS3-HMAC-SHA256,
// which percent-encodes, can.
func unambiguousV1(path string, query url.Values) *Failure {
	if strings.Contains(path, "?") {
		return fail(apierror.AmbiguousRequest, "ROA 1.0 cannot sign a path holding '?' unambiguously: encode it differently or sign with ACS3-HMAC-SHA256.")
	}
	for k, vs := range query {
		if strings.ContainsAny(k, "&=") || slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(v, "&") }) {
			return fail(apierror.AmbiguousRequest, "ROA 1.0 cannot sign a query parameter whose name holds '&' or '=', or whose value holds '&', unambiguously ("+strconv.Quote(truncate(k, 64))+"): sign with ACS3-HMAC-SHA256.")
		}
	}
	return nil
}

// v1Forms are the string-to-sign forms a request may have been signed in:
// the official SDKs' forms, but only where no other request yields the same
// string.
//
// The classic Go SDK's form, which leaves out the line of an empty header,
// is tried only when Content-MD5 is sent (that SDK always sends it, and it
// has been checked against the body): without it, a value could move from
// one line to another (Content-MD5 into Accept) and the body be swapped
// under the same signature. The Node form of empty query values ("key=") is
// tried when a value is empty; unambiguousV1 has made sure no key holds the
// '=' and no key or value the '&' that would let the two forms meet.
func v1Forms(h http.Header, query url.Values, md5Sent bool) []V1Form {
	forms := []V1Form{{}}
	if md5Sent && slices.ContainsFunc(v1Lines, func(n string) bool { return h.Get(n) == "" }) {
		forms = append(forms, V1Form{OmitEmptyHeaders: true})
	}
	empty := false
	for _, vs := range query {
		empty = empty || slices.Contains(vs, "")
	}
	if empty {
		for _, f := range forms[:len(forms):len(forms)] {
			f.EmptyValueEquals = true
			forms = append(forms, f)
		}
	}
	return forms
}

// unsigned is the first header, in name order, that a V3 request sends but
// does not sign, of those that must be signed: host, content-type when sent
// (it decides how the body is read), and every x-acs-* header; "" when
// none. It allocates nothing on the way.
func unsigned(h http.Header, signed []string) string {
	first := ""
	note := func(name string) {
		if first == "" || name < first {
			first = name
		}
	}
	if !slices.Contains(signed, "host") {
		note("host")
	}
	if len(h["Content-Type"]) > 0 && !slices.Contains(signed, "content-type") {
		note("content-type")
	}
	for k, v := range h {
		if lk, ok := acsName(k, v); ok && !slices.Contains(signed, lk) {
			note(lk)
		}
	}
	return first
}

// repeatedLower is repeated for lower-cased names.
func repeatedLower(h http.Header, lower []string) string {
	for _, n := range lower {
		if c := canonical(n); len(h[c]) > 1 {
			return c
		}
	}
	return ""
}

func (v *Verifier) verifyV3(r *http.Request, body []byte, rest string) (string, *Failure) {
	a := ParseV3Authorization(rest)
	if a.Repeated != "" {
		return "", fail(apierror.AmbiguousRequest, "Authorization gives "+a.Repeated+"= more than once.")
	}
	keyID, signedList, sig := a.KeyID, a.SignedHeaders, a.Signature
	if keyID == "" || signedList == "" || sig == "" {
		return "", fail(apierror.IncompleteSignature, "ACS3-HMAC-SHA256 wants Credential=, SignedHeaders= and Signature=.")
	}
	secret, known := v.Secret(keyID)
	if !known {
		return "", fail(apierror.UnknownAccessKey, "")
	}
	signed := strings.Split(signedList, ";")
	if n := unsigned(r.Header, signed); n != "" {
		return "", fail(apierror.IncompleteSignature, "SignedHeaders must name host, content-type when sent, and every x-acs-* header; "+n+" is missing.")
	}
	if n := repeatedLower(r.Header, signed); n != "" {
		return "", fail(apierror.AmbiguousRequest, n+" is sent more than once.")
	}
	query := r.URL.Query()
	if f := repeatedQuery(query); f != nil {
		return "", f
	}
	signedAt, f := v.checkDate(r.Header.Get(HeaderAcsDate), DateFormatV3, "x-acs-date")
	if f != nil {
		return "", f
	}
	nonce := r.Header.Get(HeaderNonce)
	if nonce == "" {
		return "", fail(apierror.IncompleteSignature, "The x-acs-signature-nonce header is missing.")
	}
	if f := checkNonce(nonce); f != nil {
		return "", f
	}
	payload := r.Header.Get(HeaderContentSHA256)
	if payload != HashHex(body) {
		return "", fail(apierror.ContentHashMismatch, "")
	}
	cr := CanonicalRequestV3(r.Method, r.URL.EscapedPath(), query, r.Header, r.Host, signed, payload)
	sts := StringToSignV3(cr)
	if !equal(sig, SignatureV3(secret, sts)) {
		return "", fail(apierror.SignatureDoesNotMatch, "The canonical request is:\n"+cr+"\n"+apierror.StringToSignMarker+sts)
	}
	if f := v.remember(keyID, nonce, signedAt); f != nil {
		return "", f
	}
	return keyID, nil
}

func equal(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// NonceAdd is what NonceCache.Add did.
type NonceAdd uint8

// The answers of NonceCache.Add.
const (
	NonceNew       NonceAdd = iota // remembered
	NonceSeen                      // a replay: seen before and not expired
	NonceCacheFull                 // not remembered: the cache holds capacity unexpired nonces of the key
)

// NonceCache remembers each AccessKey's nonces until they expire, in
// bounded memory. It fails closed: when it holds capacity nonces of one
// AccessKey that are all still valid it refuses that key's new ones rather
// than forget one a replay could use. The capacity is per AccessKey, so one
// key's flood never refuses another key's requests. Nonces are remembered
// only for requests whose signature verified, so the keys are the world's:
// memory is at most keys × capacity × (MaxNonceLength + the key's length)
// plus a constant per entry.
type NonceCache struct {
	mu       sync.Mutex
	capacity int
	seen     map[nonceKey]time.Time
	perKey   map[string]int
	expiries expiryHeap
}

type nonceKey struct{ accessKeyID, nonce string }

type expiring struct {
	key nonceKey
	at  time.Time
}

// expiryHeap is a binary min-heap of entries by expiry, soonest first,
// kept by hand so that a push does not box its entry.
type expiryHeap []expiring

func (h *expiryHeap) push(e expiring) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s[i].at.Before(s[parent].at) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

func (h *expiryHeap) pop() expiring {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < len(s) && s[l].at.Before(s[small].at) {
			small = l
		}
		if r < len(s) && s[r].at.Before(s[small].at) {
			small = r
		}
		if small == i {
			break
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
	*h = s
	return top
}

// NewNonceCache makes a cache of at most capacity nonces per AccessKey.
func NewNonceCache(capacity int) *NonceCache {
	return &NonceCache{capacity: capacity, seen: map[nonceKey]time.Time{}, perKey: map[string]int{}}
}

// Add remembers accessKeyID's nonce until expires, unless it is already
// remembered (NonceSeen) or the cache is full of unexpired nonces
// (NonceCacheFull: it holds capacity unexpired nonces of accessKeyID).
// Nonces that expired by now are forgotten first.
func (c *NonceCache) Add(accessKeyID, nonce string, expires, now time.Time) NonceAdd {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.expiries) > 0 && !c.expiries[0].at.After(now) {
		// Each remembered nonce has one entry in expiries, and a nonce is
		// remembered again only after its entry left: the entry is its.
		e := c.expiries.pop()
		delete(c.seen, e.key)
		if c.perKey[e.key.accessKeyID]--; c.perKey[e.key.accessKeyID] == 0 {
			delete(c.perKey, e.key.accessKeyID)
		}
	}
	k := nonceKey{accessKeyID, nonce}
	if _, ok := c.seen[k]; ok {
		return NonceSeen
	}
	if c.perKey[accessKeyID] >= c.capacity {
		return NonceCacheFull
	}
	c.perKey[accessKeyID]++
	c.seen[k] = expires
	c.expiries.push(expiring{k, expires})
	return NonceNew
}

// Forget forgets every nonce.
func (c *NonceCache) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.seen)
	clear(c.perKey)
	c.expiries = c.expiries[:0]
}

// Len is how many nonces are remembered.
func (c *NonceCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
