package suite

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
)

// attack is a refusal derived from a valid signed request: the request is
// signed as an official SDK signs it, then edit changes one thing the
// scheme (docs/signing.md) covers. Whatever the implementation answers, it
// must be a refusal that creates nothing.
type attack struct {
	name string
	sig  apiclient.Signature
	// edit changes the signed request; body is what was signed.
	edit func(h *http.Request, body []byte)
}

// signatureAttacks derives the attacks on a request signed with creds:
// every signed header's value changed; each header the scheme demands be
// signed dropped from the signed list (the rest signed correctly); an
// unknown algorithm; the signature truncated, or one character of it
// changed; a signature made with another AccessKey's secret; ROA 1.0's
// body swapped under its signed Content-MD5. The list is derived from the
// request, not written per header: a header an SDK starts to sign is
// attacked too.
func signatureAttacks(creds acs.Credentials, others []acs.Credentials, probe func(apiclient.Signature) *http.Request) []attack {
	var out []attack
	// ACS3-HMAC-SHA256: the signed headers are read off a probe request.
	v3 := probe(apiclient.SignV3)
	a := acs.ParseV3Authorization(strings.TrimPrefix(v3.Header.Get(acs.HeaderAuthorization), acs.SchemeV3+" "))
	signed := strings.Split(a.SignedHeaders, ";")
	for _, name := range signed {
		out = append(out, attack{name: "ACS3: " + name + " changed after signing", sig: apiclient.SignV3,
			edit: func(h *http.Request, _ []byte) { tamper(h, name) }})
		if name == "host" || name == "content-type" || strings.HasPrefix(name, "x-acs-") {
			out = append(out, attack{name: "ACS3: " + name + " sent but left out of SignedHeaders (the rest signed correctly)", sig: apiclient.SignV3,
				edit: func(h *http.Request, body []byte) { resignV3Without(h, body, creds, name) }})
		}
	}
	out = append(out,
		attack{name: "ACS3: an unknown algorithm name", sig: apiclient.SignV3, edit: func(h *http.Request, _ []byte) {
			h.Header.Set(acs.HeaderAuthorization, strings.Replace(h.Header.Get(acs.HeaderAuthorization), acs.SchemeV3, "ACS3-HMAC-SM3", 1))
		}},
		attack{name: "ACS3: the signature truncated by one character", sig: apiclient.SignV3, edit: func(h *http.Request, _ []byte) { editSignature(h, truncateOne) }},
		attack{name: "ACS3: one character of the signature changed", sig: apiclient.SignV3, edit: func(h *http.Request, _ []byte) { editSignature(h, changeOne) }},
		attack{name: "ROA 1.0: the signature truncated by one character", sig: apiclient.SignV1, edit: func(h *http.Request, _ []byte) { editSignature(h, truncateOne) }},
		attack{name: "ROA 1.0: one character of the signature changed", sig: apiclient.SignV1, edit: func(h *http.Request, _ []byte) { editSignature(h, changeOne) }},
		attack{name: "ROA 1.0: the body swapped under its signed Content-MD5", sig: apiclient.SignV1, edit: func(h *http.Request, body []byte) {
			swapped := bytes.Replace(body, []byte(`"repoPath":"`), []byte(`"repoPath":"x`), 1)
			if bytes.Equal(swapped, body) {
				swapped = append([]byte(" "), body...)
			}
			h.Body, h.ContentLength = io.NopCloser(bytes.NewReader(swapped)), int64(len(swapped))
			h.GetBody = nil
		}},
		attack{name: "ROA 1.0: an unknown scheme", sig: apiclient.SignV1, edit: func(h *http.Request, _ []byte) {
			h.Header.Set(acs.HeaderAuthorization, "acs2"+strings.TrimPrefix(h.Header.Get(acs.HeaderAuthorization), acs.SchemeV1))
		}},
	)
	// ROA 1.0: the headers its string to sign covers.
	v1 := probe(apiclient.SignV1)
	for _, name := range roaSigned(v1.Header) {
		out = append(out, attack{name: "ROA 1.0: " + name + " changed after signing", sig: apiclient.SignV1,
			edit: func(h *http.Request, _ []byte) { tamper(h, name) }})
	}
	for _, other := range others {
		for _, sig := range []apiclient.Signature{apiclient.SignV3, apiclient.SignV1} {
			out = append(out, attack{name: string(sig) + ": signed with another AccessKey's secret (" + acs.MaskKeyID(other.AccessKeyID) + ")", sig: sig,
				edit: func(h *http.Request, body []byte) {
					forged := acs.Credentials{AccessKeyID: creds.AccessKeyID, AccessKeySecret: other.AccessKeySecret}
					if sig == apiclient.SignV1 {
						acs.SignROA(h, body, forged, time.Now(), acs.ROAOptions{ContentMD5: true})
					} else {
						acs.SignV3(h, body, forged, time.Now(), acs.NewNonce())
					}
				}})
		}
	}
	return out
}

// roaSigned are the headers of h that ROA 1.0's string to sign covers:
// Accept, Content-MD5, Content-Type, Date and every x-acs-* header.
func roaSigned(h http.Header) []string {
	var out []string
	for k := range h {
		lk := strings.ToLower(k)
		if lk == "accept" || lk == "content-md5" || lk == "content-type" || lk == "date" || strings.HasPrefix(lk, "x-acs-") {
			out = append(out, lk)
		}
	}
	slices.Sort(out)
	return out
}

// tamper changes the value of one signed header so that it still parses
// (a date moves by a second, a host gains a label) and only the signature
// can tell.
func tamper(h *http.Request, name string) {
	switch name {
	case "host":
		h.Host = "tampered." + h.URL.Hostname()
		if p := h.URL.Port(); p != "" {
			h.Host += ":" + p
		}
	case "date":
		if t, err := time.Parse(acs.DateFormatV1, h.Header.Get(acs.HeaderDate)); err == nil {
			h.Header.Set(acs.HeaderDate, t.Add(-time.Second).Format(acs.DateFormatV1))
		}
	case strings.ToLower(acs.HeaderAcsDate):
		if t, err := time.Parse(acs.DateFormatV3, h.Header.Get(acs.HeaderAcsDate)); err == nil {
			h.Header.Set(acs.HeaderAcsDate, t.Add(-time.Second).Format(acs.DateFormatV3))
		}
	default:
		v := h.Header.Get(name)
		if v == "" {
			v = "x"
		} else {
			v = changeOne(v)
		}
		h.Header.Set(name, v)
	}
}

// resignV3Without signs h again, correctly, over every header it signed but
// name: a request whose signature is right, but over too little.
func resignV3Without(h *http.Request, body []byte, creds acs.Credentials, name string) {
	a := acs.ParseV3Authorization(strings.TrimPrefix(h.Header.Get(acs.HeaderAuthorization), acs.SchemeV3+" "))
	signed := slices.DeleteFunc(strings.Split(a.SignedHeaders, ";"), func(s string) bool { return s == name })
	host := h.Host
	if host == "" {
		host = h.URL.Host
	}
	payload := h.Header.Get(acs.HeaderContentSHA256)
	if payload == "" {
		payload = acs.HashHex(body)
	}
	cr := acs.CanonicalRequestV3(h.Method, h.URL.EscapedPath(), h.URL.Query(), h.Header, host, signed, payload)
	sig := acs.SignatureV3(creds.AccessKeySecret, acs.StringToSignV3(cr))
	h.Header.Set(acs.HeaderAuthorization, acs.SchemeV3+" Credential="+creds.AccessKeyID+",SignedHeaders="+strings.Join(signed, ";")+",Signature="+sig)
}

// editSignature rewrites the signature part of Authorization, either scheme.
func editSignature(h *http.Request, f func(string) string) {
	auth := h.Header.Get(acs.HeaderAuthorization)
	if i := strings.LastIndex(auth, "Signature="); i >= 0 {
		h.Header.Set(acs.HeaderAuthorization, auth[:i]+"Signature="+f(auth[i+len("Signature="):]))
		return
	}
	if i := strings.LastIndex(auth, ":"); i >= 0 {
		h.Header.Set(acs.HeaderAuthorization, auth[:i+1]+f(auth[i+1:]))
	}
}

func truncateOne(s string) string {
	if s == "" {
		return s
	}
	return s[:len(s)-1]
}

// changeOne changes the last character of s to another of its kind.
func changeOne(s string) string {
	if s == "" {
		return "x"
	}
	last := s[len(s)-1]
	repl := byte('A')
	switch {
	case last == 'A':
		repl = 'B'
	case last >= '0' && last <= '9':
		repl = '0' + (last-'0'+1)%10
	case last >= 'a' && last <= 'z':
		repl = 'a' + (last-'a'+1)%26
	case last == '=':
		// base64 padding: change the character before it.
		return changeOne(s[:len(s)-1]) + "="
	}
	return s[:len(s)-1] + string(repl)
}

// otherKeys are the world's AccessKeys with a secret, but creds': a
// signature made with one of their secrets under creds' ID is a forgery.
func (e *env) otherKeys(creds acs.Credentials) []acs.Credentials {
	var out []acs.Credentials
	for _, a := range e.cfg.World.Accounts {
		for _, k := range a.AccessKeys {
			if k.ID != creds.AccessKeyID && k.Secret != "" && k.Secret != creds.AccessKeySecret {
				out = append(out, acs.Credentials{AccessKeyID: k.ID, AccessKeySecret: k.Secret})
			}
		}
	}
	if len(out) == 0 {
		// No other key in the world: a secret nobody holds stands in.
		out = append(out, acs.Credentials{AccessKeyID: "LTAI5tConformNobody00", AccessKeySecret: creds.AccessKeySecret + "-other"})
	}
	return out[:min(len(out), 2)]
}

// captured is a transport that keeps the request it is given and answers
// nothing: signing is read off it, nothing is sent.
type captured struct{ req *http.Request }

func (c *captured) RoundTrip(r *http.Request) (*http.Response, error) {
	c.req = r
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"RequestId":"probe","Result":true}`)), Header: http.Header{}, Request: r}, nil
}

// probe is an add signed as sig signs it, captured before it is sent.
func (e *env) probe(sig apiclient.Signature) *http.Request {
	c := e.client.With(*e.cfg.Credentials, sig)
	cap := &captured{}
	c.HTTP = &http.Client{Transport: cap}
	c.Health = nil
	c.Do(context.Background(), apiclient.AddJSON("es-cn-probe", "es-cn-probe"))
	if cap.req == nil {
		return &http.Request{Header: http.Header{}, URL: &url.URL{}}
	}
	return cap.req
}

// replayAfter adds a compatible pair with a fixed nonce, deletes it, lets
// between happen, and replays the add: the replay must be refused while
// its date is accepted, whatever came between.
func (e *env) replayAfter(ctx context.Context, between func(*apiclient.Client, string)) {
	GinkgoHelper()
	p := use(e.cases.compatible())
	c := e.client.With(*e.cfg.Credentials, apiclient.SignV3)
	r := apiclient.AddJSON(p.Dest, p.Source)
	r.Nonce, r.At = "conform-replay-"+acs.NewNonce(), time.Now()
	first := e.add(ctx, c, r, p)
	if !accepted(first) {
		fail(fmt.Sprintf("[%s] expected the first use of a nonce to succeed\n%s", ids(), first))
	}
	if e.cfg.has(CapDelete) {
		// Gone again, so that an accepted replay would show by creating it.
		if del := e.send(ctx, e.client, apiclient.Delete(p.Dest, p.Source)); !accepted(del) {
			fail(fmt.Sprintf("[%s] expected deleting the pair just added to succeed\n%s", ids(), del))
		}
		e.mu.Lock()
		delete(e.acked, [2]string{p.Dest, p.Source})
		e.mu.Unlock()
		// A delete that did not take is OK-DELETED's fault, not the
		// replay's: the pair is marked, and the replay is not judged on it.
		e.verifyDeleted(ctx, p.Dest, []string{p.Source}, true)
		if why, dirty := e.dirtyWhy(p); dirty {
			skip(fmt.Sprintf("not run: the delete between the two uses of the nonce did not take: %s", why))
		}
	}
	between(c, p.Dest)
	resp := e.add(ctx, c, r, p)
	expectRefused(resp, "")
	if e.cfg.has(CapDelete) {
		e.expectNothingCreated(ctx, p, resp)
	}
}

// flood sends n signed reads of dest, eight at a time, each with its own
// nonce: the nonces a server must remember besides the one replayed.
func (e *env) flood(ctx context.Context, c *apiclient.Client, dest string, n int) {
	GinkgoHelper()
	read := apiclient.Describe
	if e.cfg.has(CapList) {
		read = apiclient.List
	}
	var wg sync.WaitGroup
	next := make(chan struct{})
	for range 8 {
		wg.Add(1)
		go func() {
			defer GinkgoRecover()
			defer wg.Done()
			for range next {
				c.Do(ctx, read(dest))
			}
		}()
	}
	for range n {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
}
