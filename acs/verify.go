package acs

import (
	"crypto/hmac"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/snaprepo/conform/apierror"
)

// Verifier checks the signature of incoming requests, in either scheme.
type Verifier struct {
	// Secret returns the secret of an AccessKeyId, ok false when unknown.
	Secret func(accessKeyID string) (secret string, ok bool)
	// Now is the server's clock.
	Now    func() time.Time
	nonces *NonceCache
}

// NewVerifier makes a Verifier with a nonce cache bounded to maxNonces.
func NewVerifier(secret func(string) (string, bool), now func() time.Time, maxNonces int) *Verifier {
	return &Verifier{Secret: secret, Now: now, nonces: NewNonceCache(Window, maxNonces)}
}

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
// AccessKeyId that signed it.
func (v *Verifier) Verify(r *http.Request, body []byte) (string, *Failure) {
	auth := r.Header.Get(HeaderAuthorization)
	switch {
	case auth == "":
		return "", fail(apierror.MissingSignature, "")
	case strings.HasPrefix(auth, SchemeV3+" "):
		return v.verifyV3(r, body, strings.TrimPrefix(auth, SchemeV3+" "))
	case strings.HasPrefix(auth, SchemeV1+" "):
		return v.verifyV1(r, body, strings.TrimPrefix(auth, SchemeV1+" "))
	}
	return "", fail(apierror.IncompleteSignature, "The Authorization header must start with \"acs \" or \"ACS3-HMAC-SHA256 \".")
}

func (v *Verifier) checkDate(raw, layout, header string) *Failure {
	if raw == "" {
		return fail(apierror.IncompleteSignature, "The "+header+" header is missing.")
	}
	t, err := time.Parse(layout, raw)
	if err != nil {
		return fail(apierror.IncompleteSignature, "The "+header+" header \""+truncate(raw, 64)+"\" is not a date of the form "+layout+".")
	}
	if d := v.Now().Sub(t); d > Window || d < -Window {
		return fail(apierror.TimestampExpired, "The "+header+" "+raw+" is more than 15 minutes from the server's clock.")
	}
	return nil
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
	if f := v.checkDate(r.Header.Get(HeaderDate), DateFormatV1, "Date"); f != nil {
		return "", f
	}
	if md5 := r.Header.Get(HeaderContentMD5); md5 != "" && md5 != ContentMD5(body) {
		return "", fail(apierror.ContentMD5Mismatch, "")
	}
	sts := StringToSignV1(r.Method, r.Header, r.URL.Path, r.URL.Query(), false)
	if !equal(sig, SignatureV1(secret, sts)) {
		classic := StringToSignV1(r.Method, r.Header, r.URL.Path, r.URL.Query(), true)
		if classic == sts || !equal(sig, SignatureV1(secret, classic)) {
			return "", fail(apierror.SignatureDoesNotMatch, apierror.StringToSignMarker+sts)
		}
	}
	if nonce := r.Header.Get(HeaderNonce); nonce != "" && !v.nonces.Add(keyID+"/"+nonce, v.Now()) {
		return "", fail(apierror.NonceUsed, "")
	}
	return keyID, nil
}

func (v *Verifier) verifyV3(r *http.Request, body []byte, rest string) (string, *Failure) {
	var keyID, signedList, sig string
	for _, part := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			keyID = val
		case "SignedHeaders":
			signedList = val
		case "Signature":
			sig = val
		}
	}
	if keyID == "" || signedList == "" || sig == "" {
		return "", fail(apierror.IncompleteSignature, "ACS3-HMAC-SHA256 wants Credential=, SignedHeaders= and Signature=.")
	}
	secret, known := v.Secret(keyID)
	if !known {
		return "", fail(apierror.UnknownAccessKey, "")
	}
	signed := strings.Split(signedList, ";")
	inSigned := map[string]bool{}
	for _, n := range signed {
		inSigned[n] = true
	}
	for _, n := range append(acsHeaders(r.Header), "host") {
		if !inSigned[n] {
			return "", fail(apierror.IncompleteSignature, "SignedHeaders must name host and every x-acs-* header; "+n+" is missing.")
		}
	}
	if f := v.checkDate(r.Header.Get(HeaderAcsDate), DateFormatV3, "x-acs-date"); f != nil {
		return "", f
	}
	nonce := r.Header.Get(HeaderNonce)
	if nonce == "" {
		return "", fail(apierror.IncompleteSignature, "The x-acs-signature-nonce header is missing.")
	}
	payload := r.Header.Get(HeaderContentSHA256)
	if payload != HashHex(body) {
		return "", fail(apierror.ContentHashMismatch, "")
	}
	cr := CanonicalRequestV3(r.Method, r.URL.EscapedPath(), r.URL.Query(), r.Header, r.Host, signed, payload)
	sts := StringToSignV3(cr)
	if !equal(sig, SignatureV3(secret, sts)) {
		return "", fail(apierror.SignatureDoesNotMatch, "The canonical request is:\n"+cr+"\n"+apierror.StringToSignMarker+sts)
	}
	if !v.nonces.Add(keyID+"/"+nonce, v.Now()) {
		return "", fail(apierror.NonceUsed, "")
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

// NonceCache remembers nonces for a window, in bounded memory: entries
// expire with the window, and past max the oldest are forgotten first.
type NonceCache struct {
	mu     sync.Mutex
	window time.Duration
	max    int
	seen   map[string]time.Time
	order  []nonceEntry
}

type nonceEntry struct {
	key string
	at  time.Time
}

// NewNonceCache makes a cache of at most max nonces over window.
func NewNonceCache(window time.Duration, max int) *NonceCache {
	return &NonceCache{window: window, max: max, seen: map[string]time.Time{}}
}

// Add records key at now and reports whether it was new within the window.
func (c *NonceCache) Add(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.order) > 0 && (now.Sub(c.order[0].at) > c.window || len(c.order) >= c.max) {
		if c.seen[c.order[0].key] == c.order[0].at {
			delete(c.seen, c.order[0].key)
		}
		c.order = c.order[1:]
	}
	if at, ok := c.seen[key]; ok && now.Sub(at) <= c.window {
		return false
	}
	c.seen[key] = now
	c.order = append(c.order, nonceEntry{key, now})
	return true
}

// Len is how many nonces are remembered.
func (c *NonceCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
