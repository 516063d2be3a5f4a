// Package wiretest is a test helper, as httptest is: it records requests as they arrive and reduces each to its
// shape: everything a signature or a server reads, with what varies from one
// request to the next (dates, nonces, signatures) set aside. Two requests of
// one SDK dialect have one shape, byte for byte; the tests compare conform's
// dialects with the real SDKs' requests through it.
package wiretest

import (
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

	"github.com/snaprepo/conform/acs"
)

// Request is one request as a recording server saw it.
type Request struct {
	Method, Host string
	URL          *url.URL
	Header       http.Header
	Body         []byte
}

// Recorder is a server that answers every request with answer and keeps
// what it got.
type Recorder struct {
	*httptest.Server
	mu  sync.Mutex
	got []Request
}

// NewRecorder starts a recorder; answer writes each reply.
func NewRecorder(answer func(w http.ResponseWriter, r *http.Request)) *Recorder {
	rec := &Recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.got = append(rec.got, Request{Method: r.Method, Host: r.Host, URL: r.URL, Header: r.Header.Clone(), Body: body})
		rec.mu.Unlock()
		answer(w, r)
	}))
	return rec
}

// Requests are the requests so far, in arrival order.
func (rec *Recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.got)
}

// varying are the headers whose values differ on every request.
var varying = map[string]bool{"Date": true, "X-Acs-Date": true, "X-Acs-Signature-Nonce": true, "Authorization": true}

// transport are the headers no signature covers and no server of this API
// reads: how the body is framed, who the client says it is.
var transport = map[string]bool{"User-Agent": true, "X-Sdk-Client": true, "Content-Length": true, "Connection": true,
	"Transfer-Encoding": true, "Accept-Encoding": true, "X-Sdk-Core-Version": true}

var port = regexp.MustCompile(`:\d+$`)

// Shape is r with dates, nonces (their length kept) and signatures set
// aside, and its string to sign (ROA 1.0, in form) or canonical request
// (ACS3) recomputed over placeholders.
func Shape(r Request, form acs.V1Form) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s?%s\nhost %s\n", r.Method, r.URL.EscapedPath(), acs.CanonicalQueryV3(r.URL.Query()), port.ReplaceAllString(r.Host, ":PORT"))
	var names []string
	for n := range r.Header {
		if !transport[n] {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		v := r.Header.Get(n)
		switch {
		case n == acs.HeaderNonce:
			v = "<" + strconv.Itoa(len(v)) + " characters>"
		case varying[n]:
			v = "<varies>"
		}
		fmt.Fprintf(&b, "%s: %s\n", n, v)
	}
	h := r.Header.Clone()
	for _, n := range []string{acs.HeaderDate, acs.HeaderNonce, acs.HeaderAcsDate} {
		if h.Get(n) != "" {
			h.Set(n, strings.ToUpper(n))
		}
	}
	auth := r.Header.Get("Authorization")
	if strings.HasPrefix(auth, acs.SchemeV3+" ") {
		signed := regexp.MustCompile(`SignedHeaders=([^,]*)`).FindStringSubmatch(auth)
		if signed == nil {
			signed = []string{"", ""}
		}
		fmt.Fprintf(&b, "ACS3 SignedHeaders=%s\ncanonical request:\n%s\n", signed[1],
			acs.CanonicalRequestV3(r.Method, r.URL.EscapedPath(), r.URL.Query(), h, "HOST", strings.Split(signed[1], ";"), h.Get(acs.HeaderContentSHA256)))
	} else {
		fmt.Fprintf(&b, "ROA string to sign:\n%s\n", acs.StringToSignV1(r.Method, h, r.URL.Path, r.URL.Query(), form))
	}
	fmt.Fprintf(&b, "body %q\n", r.Body)
	return b.String()
}
