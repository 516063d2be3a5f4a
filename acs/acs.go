// Package acs signs and verifies requests the way Alibaba Cloud's official
// SDKs do (docs/signing.md): ROA signature 1.0 (HMAC-SHA1) and ACS3-HMAC-SHA256.
// The suite's client signs with it and the reference server verifies with it,
// so one definition serves both sides.
package acs

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Credentials are an AccessKey pair, with an STS token when temporary.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// MaskKeyID shows an AccessKeyId with its middle hidden, LTAI5t…01: enough
// to tell keys apart, never the whole ID.
func MaskKeyID(id string) string {
	if len(id) <= 8 {
		return "…"
	}
	return id[:6] + "…" + id[len(id)-2:]
}

// DescribeAuthorization names the scheme and the masked key of an
// Authorization header, for failure reports: "ACS3-HMAC-SHA256, key
// LTAI5t…01". The signature itself is never shown.
func DescribeAuthorization(h string) string {
	scheme, rest, _ := strings.Cut(h, " ")
	switch scheme {
	case SchemeV3:
		if id := ParseV3Authorization(rest).KeyID; id != "" {
			return SchemeV3 + ", key " + MaskKeyID(id)
		}
		return SchemeV3 + ", no Credential"
	case SchemeV1:
		return "acs (ROA 1.0), key " + MaskKeyID(AuthorizationKeyID(h))
	}
	return fmt.Sprintf("an unknown scheme (%d bytes)", len(h))
}

// V3Authorization is what an ACS3-HMAC-SHA256 Authorization header carries
// after its scheme. A part given twice keeps its last value and is named in
// Repeated: the verifier refuses such a header, since whoever reads it first
// may have taken the other value.
type V3Authorization struct {
	KeyID, SignedHeaders, Signature string
	// Repeated is the first of Credential, SignedHeaders and Signature given
	// more than once, "" when none is.
	Repeated string
}

// ParseV3Authorization reads the Credential=, SignedHeaders= and Signature=
// parts of an ACS3-HMAC-SHA256 Authorization header, the scheme cut off.
// Missing parts are "".
func ParseV3Authorization(rest string) V3Authorization {
	var a V3Authorization
	var seen [3]bool
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		var at *string
		i := 0
		switch k {
		case "Credential":
			at, i = &a.KeyID, 0
		case "SignedHeaders":
			at, i = &a.SignedHeaders, 1
		case "Signature":
			at, i = &a.Signature, 2
		default:
			continue
		}
		if seen[i] && a.Repeated == "" {
			a.Repeated = k
		}
		seen[i], *at = true, v
	}
	return a
}

// AuthorizationKeyID is the AccessKeyId an Authorization header of either
// scheme names, "" when it names none.
func AuthorizationKeyID(h string) string {
	if rest, ok := strings.CutPrefix(h, SchemeV1+" "); ok {
		id, _, _ := strings.Cut(rest, ":")
		return id
	}
	if rest, ok := strings.CutPrefix(h, SchemeV3+" "); ok {
		return ParseV3Authorization(rest).KeyID
	}
	return ""
}

// The schemes, as they open the Authorization header.
const (
	SchemeV1     = "acs"
	SchemeV3     = "ACS3-HMAC-SHA256"
	APIVersion   = "2017-06-13"
	DateFormatV1 = "Mon, 02 Jan 2006 15:04:05 GMT"
	DateFormatV3 = "2006-01-02T15:04:05Z"
)

// Window is how far a request's date may be from the server's clock.
const Window = 15 * time.Minute

// Header names, in Go's canonical form so that lookups do not allocate;
// HTTP header names are case-insensitive on the wire.
const (
	HeaderDate          = "Date"
	HeaderContentMD5    = "Content-Md5"
	HeaderAuthorization = "Authorization"
	HeaderAcsDate       = "X-Acs-Date"
	HeaderNonce         = "X-Acs-Signature-Nonce"
	HeaderContentSHA256 = "X-Acs-Content-Sha256"
	HeaderSecurityToken = "X-Acs-Security-Token"
	HeaderAction        = "X-Acs-Action"
	HeaderVersion       = "X-Acs-Version"
)

// NewNonce returns a random nonce for x-acs-signature-nonce.
func NewNonce() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("acs: crypto/rand failed: %v", err)) // the OS has no randomness: nothing sensible remains
	}
	return hex.EncodeToString(b[:])
}

// knownHeaders maps the lower-cased names signing deals with to their
// canonical form, so the hot path neither lower-cases nor canonicalizes
// (both allocate). Other names fall back to the general functions.
var knownHeaders = map[string]string{
	"x-acs-date": "X-Acs-Date", "x-acs-signature-nonce": "X-Acs-Signature-Nonce",
	"x-acs-content-sha256": "X-Acs-Content-Sha256", "x-acs-action": "X-Acs-Action",
	"x-acs-version": "X-Acs-Version", "x-acs-signature-method": "X-Acs-Signature-Method",
	"x-acs-signature-version": "X-Acs-Signature-Version", "x-acs-security-token": "X-Acs-Security-Token",
	"x-acs-credentials-provider": "X-Acs-Credentials-Provider", "content-type": "Content-Type",
}

// lowerOf maps canonical names back to lower case.
var lowerOf = func() map[string]string {
	m := make(map[string]string, len(knownHeaders))
	for lower, canon := range knownHeaders {
		m[canon] = lower
	}
	return m
}()

func canonical(lower string) string {
	if c, ok := knownHeaders[lower]; ok {
		return c
	}
	return http.CanonicalHeaderKey(lower)
}

// acsHeaders is the lower-cased names of every x-acs-* header of h, sorted.
func acsHeaders(h http.Header) []string {
	var names []string
	for k, v := range h {
		if lk, ok := acsName(k, v); ok {
			names = append(names, lk)
		}
	}
	sort.Strings(names)
	return names
}

// acsName is the lower-cased name of header k when it is an x-acs-* header
// with a value.
func acsName(k string, v []string) (string, bool) {
	if len(v) == 0 || len(k) < 6 || !strings.EqualFold(k[:6], "x-acs-") {
		return "", false
	}
	if lk, ok := lowerOf[k]; ok {
		return lk, true
	}
	return strings.ToLower(k), true
}

// V1Form is one way an official SDK writes the ROA 1.0 string to sign;
// the zero value is the darabonba (Go) form.
type V1Form struct {
	// OmitEmptyHeaders leaves out the line of an empty Accept, Content-MD5,
	// Content-Type or Date instead of writing an empty line: the classic Go
	// SDK (alibaba-cloud-sdk-go's appendIfContain). Every other SDK writes
	// the empty line.
	OmitEmptyHeaders bool
	// EmptyValueEquals writes a query key with an empty value as "key=",
	// as the Node.js SDKs do; the Go SDKs write "key" alone.
	EmptyValueEquals bool
}

// StringToSignV1 is the ROA 1.0 string to sign in the given form. path is
// the decoded path; query values are not percent-encoded.
func StringToSignV1(method string, h http.Header, path string, query url.Values, form V1Form) string {
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')
	for _, name := range v1Lines {
		v := h.Get(name)
		if v == "" && form.OmitEmptyHeaders {
			continue
		}
		b.WriteString(v)
		b.WriteByte('\n')
	}
	for _, n := range acsHeaders(h) {
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(h.Get(canonical(n)))
		b.WriteByte('\n')
	}
	b.WriteString(path)
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(k)
		if v := query.Get(k); v != "" || form.EmptyValueEquals {
			b.WriteByte('=')
			b.WriteString(v)
		}
	}
	return b.String()
}

// v1Lines are the headers that have a line of their own in the ROA 1.0
// string to sign, in order.
var v1Lines = []string{"Accept", HeaderContentMD5, "Content-Type", HeaderDate}

// SignatureV1 is base64(HMAC-SHA1(secret, stringToSign)).
func SignatureV1(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// ContentMD5 is the base64 MD5 of body, as the Content-MD5 header carries it.
func ContentMD5(body []byte) string {
	sum := md5.Sum(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// SignV1 signs req as the classic Go SDK does: Date, Content-MD5, Accept,
// x-acs-signature-method and -version, then Authorization. Content-Type,
// x-acs-action and x-acs-version are the caller's to set first.
func SignV1(req *http.Request, body []byte, c Credentials, now time.Time) {
	SignROA(req, body, c, now, ROAOptions{ContentMD5: true})
}

// ROAOptions are what tells one SDK's ROA 1.0 requests from another's.
type ROAOptions struct {
	// Nonce, when set, is sent as x-acs-signature-nonce (every SDK but the
	// classic Go one sends one).
	Nonce string
	// ContentMD5 sends the body's Content-MD5 (the classic Go SDK and
	// pop-core do; darabonba, in Go and Node, does not).
	ContentMD5 bool
	// Form is how the string to sign is written.
	Form V1Form
}

// SignROA signs req with ROA signature 1.0 as o describes: Date, Accept
// (application/json unless set), x-acs-signature-method and -version, the
// nonce and Content-MD5 when asked for, then Authorization.
func SignROA(req *http.Request, body []byte, c Credentials, now time.Time, o ROAOptions) {
	h := req.Header
	h.Set(HeaderDate, now.UTC().Format(DateFormatV1))
	if o.ContentMD5 {
		h.Set(HeaderContentMD5, ContentMD5(body))
	}
	if o.Nonce != "" {
		h.Set(HeaderNonce, o.Nonce)
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", "application/json")
	}
	h.Set("x-acs-signature-method", "HMAC-SHA1")
	h.Set("x-acs-signature-version", "1.0")
	if c.SecurityToken != "" {
		h.Set(HeaderSecurityToken, c.SecurityToken)
	}
	sts := StringToSignV1(req.Method, h, req.URL.Path, req.URL.Query(), o.Form)
	h.Set(HeaderAuthorization, SchemeV1+" "+c.AccessKeyID+":"+SignatureV1(c.AccessKeySecret, sts))
}

// PercentEncode encodes as the V3 canonical form wants: RFC 3986, space as
// %20, '*' as %2A, '~' kept.
func PercentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// CanonicalQueryV3 sorts the query by key and percent-encodes keys and
// values; an empty value gives "k=".
func CanonicalQueryV3(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, PercentEncode(k)+"="+PercentEncode(q.Get(k)))
	}
	return strings.Join(parts, "&")
}

// SignedHeaderNamesV3 are the headers a V3 signer signs: host, content-type
// and every x-acs-* header, lower-cased and sorted.
func SignedHeaderNamesV3(h http.Header, host string) []string {
	names := []string{}
	if host != "" {
		names = append(names, "host")
	}
	if h.Get("Content-Type") != "" {
		names = append(names, "content-type")
	}
	names = append(names, acsHeaders(h)...)
	sort.Strings(names)
	return names
}

// headerValue reads a header by lower-cased name; "host" comes from host,
// as Go keeps it out of http.Header.
func headerValue(h http.Header, host, name string) string {
	if name == "host" {
		return host
	}
	vs := h[canonical(name)]
	if len(vs) == 1 {
		return vs[0]
	}
	return strings.Join(vs, ",")
}

// CanonicalRequestV3 is the V3 canonical request over the named headers.
func CanonicalRequestV3(method, escapedPath string, q url.Values, h http.Header, host string, signed []string, payloadHash string) string {
	if escapedPath == "" {
		escapedPath = "/"
	}
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(escapedPath)
	b.WriteByte('\n')
	b.WriteString(CanonicalQueryV3(q))
	b.WriteByte('\n')
	for _, n := range signed {
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(strings.TrimSpace(headerValue(h, host, n)))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// HashHex is hex(SHA-256(b)).
func HashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// StringToSignV3 is "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical request)).
func StringToSignV3(canonicalRequest string) string {
	return SchemeV3 + "\n" + HashHex([]byte(canonicalRequest))
}

// SignatureV3 is hex(HMAC-SHA256(secret, stringToSign)).
func SignatureV3(secret, stringToSign string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return hex.EncodeToString(m.Sum(nil))
}

// SignV3 signs req as the darabonba-based SDKs do: x-acs-date,
// x-acs-signature-nonce and x-acs-content-sha256, then Authorization over
// host, content-type and every x-acs-* header. x-acs-action, x-acs-version,
// Accept and Content-Type are the caller's to set first.
func SignV3(req *http.Request, body []byte, c Credentials, now time.Time, nonce string) {
	h := req.Header
	h.Set(HeaderAcsDate, now.UTC().Format(DateFormatV3))
	h.Set(HeaderNonce, nonce)
	payload := HashHex(body)
	h.Set(HeaderContentSHA256, payload)
	if c.SecurityToken != "" {
		h.Set(HeaderSecurityToken, c.SecurityToken)
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	signed := SignedHeaderNamesV3(h, host)
	cr := CanonicalRequestV3(req.Method, req.URL.EscapedPath(), req.URL.Query(), h, host, signed, payload)
	sig := SignatureV3(c.AccessKeySecret, StringToSignV3(cr))
	h.Set(HeaderAuthorization, SchemeV3+" Credential="+c.AccessKeyID+",SignedHeaders="+strings.Join(signed, ";")+",Signature="+sig)
}
