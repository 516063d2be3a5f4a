// Package recording turns a session with the platform (or any
// implementation of the API) into evidence: a recording proxy that writes
// every exchange to a cassette in go-vcr's format, secrets masked before
// anything is written, and a verifier that holds conform's decisions against
// what was recorded.
package recording

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/snaprepo/conform/acs"
)

// Bounds of what the proxy reads and keeps.
const (
	// MaxRequest is the largest request body forwarded; the API's own
	// limit is far below it.
	MaxRequest = 1 << 20
	// MaxAnswer is the largest answer body relayed and recorded.
	MaxAnswer = 4 << 20
	// MaxInteractions bounds a cassette: past it the proxy still relays
	// but records nothing more, and says so once.
	MaxInteractions = 100_000
)

// Proxy relays requests to an upstream endpoint and records each exchange.
type Proxy struct {
	upstream *url.URL
	client   *http.Client
	file     string
	mu       sync.Mutex
	cassette *cassette.Cassette
	// full is set once MaxInteractions were recorded.
	full bool
	// Warn gets one line per thing the user should know (a signature a
	// proxy cannot carry, a full cassette); nil discards.
	Warn func(string)
	// warnedHost is set once the ACS3 host warning was given.
	warnedHost bool
	// resign, when set, re-signs the ACS3 requests its AccessKey signed
	// for the upstream's host (see Resign).
	resign *acs.Credentials
}

// Resign makes the proxy re-sign, for the upstream's host, every
// ACS3-HMAC-SHA256 request signed with c's AccessKey: that scheme signs
// the host a request is sent to, which a proxy changes. The same headers
// are signed, with the same date and nonce. ROA 1.0 signs no host and
// passes unchanged.
func (p *Proxy) Resign(c acs.Credentials) { p.resign = &c }

// resignV3 signs out (an ACS3 request for the upstream) again with the
// proxy's credentials; it reports false when the request is not one the
// proxy holds the key of.
func (p *Proxy) resignV3(out *http.Request, body []byte) bool {
	rest, ok := strings.CutPrefix(out.Header.Get(acs.HeaderAuthorization), acs.SchemeV3+" ")
	if !ok || p.resign == nil {
		return false
	}
	a := acs.ParseV3Authorization(rest)
	if a.KeyID != p.resign.AccessKeyID || a.SignedHeaders == "" {
		return false
	}
	payload := out.Header.Get(acs.HeaderContentSHA256)
	if payload == "" {
		payload = acs.HashHex(body)
	}
	signed := strings.Split(a.SignedHeaders, ";")
	cr := acs.CanonicalRequestV3(out.Method, out.URL.EscapedPath(), out.URL.Query(), out.Header, out.URL.Host, signed, payload)
	sig := acs.SignatureV3(p.resign.AccessKeySecret, acs.StringToSignV3(cr))
	out.Header.Set(acs.HeaderAuthorization, acs.SchemeV3+" Credential="+a.KeyID+",SignedHeaders="+a.SignedHeaders+",Signature="+sig)
	return true
}

// NewProxy makes a proxy to upstream (http:// or https://, no path) that
// records to file, which it creates (or replaces) at once so that a path it
// cannot write fails before anything is relayed.
func NewProxy(upstream, file string, timeout time.Duration) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		return nil, fmt.Errorf("upstream %q is not an endpoint: want http:// or https://HOST[:PORT], for example https://elasticsearch.cn-hangzhou.aliyuncs.com", upstream)
	}
	if file == "" {
		return nil, errors.New("no cassette file named: give NewProxy the file to record to")
	}
	c := cassette.New(strings.TrimSuffix(file, ".yaml"))
	c.File = file
	c.MarshalFunc = marshalCassette
	p := &Proxy{upstream: u, file: file, cassette: c,
		client: &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if err := p.save(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Proxy) warn(msg string) {
	if p.Warn != nil {
		p.Warn(msg)
	}
}

// ServeHTTP relays one request and records it, masked.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequest+1))
	if err != nil || len(body) > MaxRequest {
		http.Error(w, fmt.Sprintf("conform record: the request body is unreadable or larger than %d bytes", MaxRequest), http.StatusRequestEntityTooLarge)
		return
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream.Scheme+"://"+p.upstream.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, "conform record: "+err.Error(), http.StatusBadRequest)
		return
	}
	for k, vs := range r.Header {
		if hopByHop[http.CanonicalHeaderKey(k)] {
			continue
		}
		out.Header[k] = vs
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "ACS3-") && !p.resignV3(out, body) && !p.warnedHost {
		p.mu.Lock()
		warn := !p.warnedHost
		p.warnedHost = true
		p.mu.Unlock()
		if warn {
			p.warn("an ACS3-HMAC-SHA256 request signs the host it was sent to (this proxy), and the upstream checks it against its own: give conform record the same credentials (ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or --profile) to re-sign it, or sign with ROA 1.0 (conform run --signature v1, the classic SDK)")
		}
	}
	start := time.Now()
	resp, err := p.client.Do(out)
	if err != nil {
		http.Error(w, "conform record: the upstream did not answer: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer+1))
	if err != nil || len(answer) > MaxAnswer {
		http.Error(w, fmt.Sprintf("conform record: the upstream's answer is unreadable or larger than %d bytes", MaxAnswer), http.StatusBadGateway)
		return
	}
	p.record(out, body, resp, answer, time.Since(start))
	for k, vs := range resp.Header {
		if !hopByHop[http.CanonicalHeaderKey(k)] && k != "Content-Length" {
			w.Header()[k] = vs
		}
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(answer)
}

// hopByHop are the headers a proxy does not relay.
var hopByHop = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true,
	"Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Proxy-Authorization": true}

// record adds one exchange, masked, to the cassette and writes the cassette.
func (p *Proxy) record(req *http.Request, body []byte, resp *http.Response, answer []byte, took time.Duration) {
	i := &cassette.Interaction{
		Request: cassette.Request{
			Proto: req.Proto, ProtoMajor: req.ProtoMajor, ProtoMinor: req.ProtoMinor, ContentLength: int64(len(body)),
			Host: req.URL.Host, Body: string(body), Headers: req.Header.Clone(), URL: req.URL.String(), Method: req.Method,
		},
		Response: cassette.Response{
			Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor, ContentLength: int64(len(answer)),
			Body: string(answer), Headers: resp.Header.Clone(), Status: resp.Status, Code: resp.StatusCode, Duration: took,
		},
	}
	if ct := req.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(body)); err == nil {
			i.Request.Form = form
		}
	}
	Mask(i)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.cassette.Interactions) >= MaxInteractions {
		if !p.full {
			p.full = true
			p.warn(fmt.Sprintf("the cassette holds %d exchanges, its bound: later ones are relayed but not recorded", MaxInteractions))
		}
		return
	}
	p.cassette.AddInteraction(i)
	if err := p.saveLocked(); err != nil {
		p.warn(err.Error())
	}
}

func (p *Proxy) save() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.saveLocked()
}

// saveLocked writes the whole cassette through a temporary file and a
// rename: a reader never sees half a cassette, a crash loses at most the
// exchange in flight.
func (p *Proxy) saveLocked() error {
	if err := p.cassette.SaveWithFS(atomicFS{}); err != nil {
		return fmt.Errorf("writing the cassette %s: %w", p.file, err)
	}
	return nil
}

// Recorded is how many exchanges the cassette holds.
func (p *Proxy) Recorded() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.cassette.Interactions)
}

// atomicFS writes files whole (temporary file, then rename), readable by
// the owner only: a cassette holds a session's data.
type atomicFS struct{}

func (atomicFS) ReadFile(name string) ([]byte, error) { return readBounded(name) }

func (atomicFS) WriteFile(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".cassette-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

func (atomicFS) IsFileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// Shutdown is for a server that serves p: nothing is pending after the
// server stops, as every exchange is written when it is recorded.
func (p *Proxy) Shutdown(context.Context) error { return p.save() }
