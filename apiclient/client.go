// Package apiclient is an HTTP client for the AddSnapshotRepo API that
// speaks like the official SDKs: signed with either scheme, JSON or form
// bodies, a timeout on every call and a cap on what it reads. The suite drives
// implementations with it; it keeps every exchange for failure reports.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/contract"
	"github.com/snaprepo/conform/internal/boundedread"
	"github.com/snaprepo/conform/internal/terminal"
)

// Signature selects how requests are signed and sent: a scheme, as one
// official SDK family speaks it (docs/signing.md has the table).
type Signature string

// The ways of sending, and none for unsigned requests.
const (
	// SignV3 is ACS3-HMAC-SHA256 as darabonba-openapi (Go) sends it.
	SignV3 Signature = "v3"
	// SignV1 is ROA 1.0 as the classic alibaba-cloud-sdk-go sends it:
	// Content-MD5, no nonce.
	SignV1 Signature = "v1"
	// SignDarabonbaV2 is ROA 1.0 as darabonba-openapi (Go) sends it with
	// SignatureAlgorithm "v2": a nonce, no Content-MD5.
	SignDarabonbaV2 Signature = "darabonba-v2"
	// SignNodeV3 is ACS3-HMAC-SHA256 as @alicloud/elasticsearch20170613
	// sends it: x-acs-credentials-provider, Content-Type with a charset.
	SignNodeV3 Signature = "node-v3"
	// SignNodeV2 is ROA 1.0 as @alicloud/elasticsearch20170613 sends it with
	// signatureAlgorithm "v2": a nonce, no Content-MD5, "key=" for an empty
	// query value.
	SignNodeV2 Signature = "node-v2"
	// SignPopCore is ROA 1.0 as @alicloud/pop-core's ROAClient sends it:
	// Content-MD5 on every request, a nonce, no x-acs-action, Host without
	// the port, "key=" for an empty query value.
	SignPopCore Signature = "pop-core"
	// SignClassic is ROA 1.0 with every header alibaba-cloud-sdk-go sends
	// beside SignV1's: x-acs-credentials-provider and x-sdk-invoke-type. Use
	// it with AddClassic's form body.
	SignClassic Signature = "classic"
	Unsigned    Signature = "none"
)

// ParseSignature reads a --signature value: one of Dialects.
func ParseSignature(s string) (Signature, error) {
	if _, ok := Dialects()[Signature(s)]; ok {
		return Signature(s), nil
	}
	return "", fmt.Errorf("signature %q is not a way of signing (want v3, v1, darabonba-v2, node-v3, node-v2 or pop-core)", s)
}

// Dialects are the ways the official SDKs send a request, each one's name.
func Dialects() map[Signature]string {
	return map[Signature]string{
		SignV3: "darabonba-openapi (Go), ACS3-HMAC-SHA256", SignV1: "alibaba-cloud-sdk-go (classic), ROA 1.0",
		SignDarabonbaV2: "darabonba-openapi (Go), ROA 1.0", SignNodeV3: "@alicloud/elasticsearch20170613 (Node), ACS3-HMAC-SHA256",
		SignNodeV2: "@alicloud/elasticsearch20170613 (Node), ROA 1.0", SignPopCore: "@alicloud/pop-core ROAClient (Node), ROA 1.0",
		SignClassic: "alibaba-cloud-sdk-go (classic), ROA 1.0, every header it signs",
	}
}

// HeaderCredentialsProvider names the kind of credentials, as the Node and
// darabonba SDKs send it.
const HeaderCredentialsProvider = "X-Acs-Credentials-Provider"

// MaxResponse is the most of any response body read.
const MaxResponse = 1 << 20

// Client calls one endpoint with one set of credentials.
type Client struct {
	Endpoint    string // e.g. http://127.0.0.1:9280
	Credentials acs.Credentials
	Signature   Signature
	Timeout     time.Duration
	HTTP        *http.Client
	// Now is the clock used for signature dates; nil means time.Now.
	Now func() time.Time
	// Health, when set, ends the run's requests early once the endpoint
	// stopped answering; clients made by With share it.
	Health *Health
	// Offline clients send nothing: every Do is ErrOffline (a dry run).
	Offline bool
	// ThrottleRetries is how many times Do sends a throttled request again
	// (New: MaxThrottleRetries; 0 returns a throttle at once).
	ThrottleRetries int
}

// New makes a client with its own connection pool.
func New(endpoint string, creds acs.Credentials, sig Signature, timeout time.Duration) *Client {
	return &Client{Endpoint: strings.TrimRight(endpoint, "/"), Credentials: creds, Signature: sig, Timeout: timeout,
		HTTP: NewHTTPClient(timeout), ThrottleRetries: MaxThrottleRetries}
}

// NewHTTPClient is an HTTP client with its own pool (NewTransport) that
// follows no redirect: a 3xx is the endpoint's answer, judged as it is, and
// no request goes to a server the user did not name.
func NewHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{Transport: NewTransport(timeout), CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// NewTransport is the transport of every client conform makes: a pool for
// keep-alive, a bound on the wait for headers, and bodies capped at
// MaxResponse.
func NewTransport(timeout time.Duration) http.RoundTripper {
	return CappedTransport(&http.Transport{MaxIdleConnsPerHost: 64, ResponseHeaderTimeout: timeout}, MaxResponse)
}

// QueryAsSent is the query as the dialect writes it on the wire: sorted by
// key, as url.Values encodes it (the generated SDKs), or — for
// @alicloud/pop-core, whose querystring.stringify keeps the caller's order
// — in reverse order, so that a server that signs the query in the order
// sent, not sorted as the scheme says, is caught.
func QueryAsSent(sig Signature, q url.Values) string {
	if sig != SignPopCore {
		return q.Encode()
	}
	keys := slices.Sorted(maps.Keys(q))
	slices.Reverse(keys)
	var parts []string
	for _, k := range keys {
		for _, v := range q[k] {
			parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// With returns a copy of c with other credentials or signature.
func (c *Client) With(creds acs.Credentials, sig Signature) *Client {
	d := *c
	d.Credentials, d.Signature = creds, sig
	return &d
}

// Request is one call, as sent.
type Request struct {
	Action      string
	Method      string
	Path        string // escaped path
	Query       url.Values
	ContentType string
	Body        []byte
	// Edit, when set, changes the request after signing: to test how an
	// implementation answers a tampered or broken request.
	Edit func(*http.Request)
	// Nonce overrides the V3/V1 nonce, to replay one.
	Nonce string
	// At overrides the signing date.
	At time.Time
}

// Response is what came back.
type Response struct {
	Request  *Request
	Status   int
	Header   http.Header
	Body     []byte
	Duration time.Duration
	// Envelope fields, when the body is a JSON object holding them.
	Code, Message, RequestID string
	// Result is the raw Result of a success answer.
	Result json.RawMessage
	// JSON reports whether the body parsed as a JSON object.
	JSON bool
	// Sent is the request as it went out, after signing and Edit: the
	// headers a failure report shows.
	Sent http.Header
}

// Do sends r and reads the answer. A request that got no answer is a
// *NoAnswerError; once the endpoint stopped answering (Health), or for an
// offline client, nothing is sent. A throttled request (Throttled) is sent
// again, signed afresh, after a pause — Retry-After when the answer gives
// one, else a doubling backoff — up to ThrottleRetries times; the last
// answer is the one returned, throttled or not, so a throttle never passes
// for the implementation's decision.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := c.doOnce(ctx, r)
		if err != nil || !Throttled(resp) || attempt >= c.ThrottleRetries {
			return resp, err
		}
		c.Health.recordThrottle()
		t := time.NewTimer(throttlePause(resp, attempt))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return resp, nil
		}
	}
}

// MaxThrottleRetries is how many times a throttled request is sent again
// by default.
const MaxThrottleRetries = 5

// Throttled reports whether resp is the gateway's flow control: HTTP 429, or
// a 4xx whose Code is Throttling or Throttling.* (the platform's gateway
// answers Throttling.User with 400). It is not the implementation's answer
// to the request, only "not now".
func Throttled(resp *Response) bool {
	if resp.Status == http.StatusTooManyRequests {
		return true
	}
	return resp.Status >= 400 && resp.Status < 500 && (resp.Code == "Throttling" || strings.HasPrefix(resp.Code, "Throttling."))
}

// throttlePause is the wait before the retry after attempt: the answer's
// Retry-After in seconds, at most maxThrottlePause, else 100 ms doubled per
// attempt.
func throttlePause(resp *Response, attempt int) time.Duration {
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
		return min(time.Duration(secs)*time.Second, maxThrottlePause)
	}
	return min(100*time.Millisecond<<attempt, maxThrottlePause)
}

// maxThrottlePause bounds one pause: a Retry-After of an hour does not stall
// a run.
const maxThrottlePause = 5 * time.Second

// doOnce sends r once.
func (c *Client) doOnce(ctx context.Context, r *Request) (*Response, error) {
	if c.Offline {
		return nil, ErrOffline
	}
	if err := c.Health.Stopped(); err != nil {
		return nil, err
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	u := c.Endpoint + r.Path
	if len(r.Query) > 0 {
		u += "?" + QueryAsSent(c.Signature, r.Query)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u, bytes.NewReader(r.Body))
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", r.Method, r.Path, err)
	}
	if len(r.Body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set(acs.HeaderVersion, acs.APIVersion)
	if r.Action != "" {
		req.Header.Set(acs.HeaderAction, r.Action)
	}
	now := r.At
	if now.IsZero() {
		now = time.Now()
		if c.Now != nil {
			now = c.Now()
		}
	}
	nonce := r.Nonce
	if nonce == "" {
		nonce = acs.NewNonce()
	}
	switch c.Signature {
	case SignClassic:
		req.Header.Set(HeaderCredentialsProvider, "static_ak")
		req.Header.Set("X-Sdk-Invoke-Type", "normal")
		acs.SignROA(req, r.Body, c.Credentials, now, acs.ROAOptions{ContentMD5: true})
	case SignV1:
		o := acs.ROAOptions{ContentMD5: true}
		if r.Nonce != "" {
			o.Nonce = nonce
		}
		acs.SignROA(req, r.Body, c.Credentials, now, o)
	case SignDarabonbaV2:
		acs.SignROA(req, r.Body, c.Credentials, now, acs.ROAOptions{Nonce: nonce})
	case SignNodeV2:
		req.Header.Set(HeaderCredentialsProvider, "static_ak")
		acs.SignROA(req, r.Body, c.Credentials, now, acs.ROAOptions{Nonce: nodeNonce(r, nonce), Form: acs.V1Form{EmptyValueEquals: true}})
	case SignPopCore:
		req.Header.Del(acs.HeaderAction)
		req.Host = req.URL.Hostname()
		acs.SignROA(req, r.Body, c.Credentials, now, acs.ROAOptions{Nonce: nonce, ContentMD5: true, Form: acs.V1Form{EmptyValueEquals: true}})
	case SignNodeV3:
		req.Header.Set(HeaderCredentialsProvider, "static_ak")
		acs.SignV3(req, r.Body, c.Credentials, now, nodeNonce(r, nonce))
	case Unsigned:
	default:
		acs.SignV3(req, r.Body, c.Credentials, now, nonce)
	}
	if r.Edit != nil {
		r.Edit(req)
	}
	start := time.Now()
	out, err := c.exchange(req, r)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// The caller gave up (an interrupted spec): not the endpoint's doing.
			return nil, fmt.Errorf("%s %s: %w", r.Method, r.Path, err)
		}
		e := &NoAnswerError{Kind: classify(err), Method: r.Method, Path: r.Path, Timeout: c.Timeout, Err: err}
		if e.Kind == NoAnswerTooLarge {
			// The endpoint answers, only more than conform reads: a
			// failure of the request, not an endpoint that stopped.
			c.Health.record(nil)
		} else {
			c.Health.record(e)
		}
		return nil, e
	}
	c.Health.record(nil)
	out.Duration = time.Since(start)
	return out, nil
}

// exchange sends req and reads the whole (capped) answer.
func (c *Client) exchange(req *http.Request, r *Request) (*Response, error) {
	sent := req.Header.Clone()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxResponse {
		return nil, &TooLargeError{Limit: MaxResponse}
	}
	out := &Response{Request: r, Status: resp.StatusCode, Header: resp.Header, Body: body, Sent: sent}
	var fields map[string]json.RawMessage
	// An answer nested past any the API gives is read as no JSON at all:
	// the judges then say so, and no decoder walks it.
	if boundedread.Depth(body, boundedread.MaxDepth) == nil && json.Unmarshal(body, &fields) == nil && fields != nil {
		out.JSON = true
		json.Unmarshal(fields["Code"], &out.Code)
		json.Unmarshal(fields["Message"], &out.Message)
		json.Unmarshal(fields["RequestId"], &out.RequestID)
		out.Result = fields["Result"]
	}
	return out, nil
}

// nodeNonce is the nonce as the Node darabonba SDKs make it, 64 hexadecimal
// digits, unless the request names its own.
func nodeNonce(r *Request, nonce string) string {
	if r.Nonce != "" {
		return nonce
	}
	return nonce + acs.NewNonce()
}

// InstancePath is /openapi/instances/{id}[/tail], the ID escaped.
func InstancePath(id, tail string) string {
	p := "/openapi/instances/" + url.PathEscape(id)
	if tail != "" {
		p += "/" + tail
	}
	return p
}

// ForOperation is a request for the operation called name on instance id
// (escaped into the path), with the method and path the contract ledger
// (fixtures/contract.yaml) gives it. An operation the ledger lacks is a
// defect of this package, caught by its tests.
func ForOperation(name, id string) *Request {
	op := contract.MustBuiltin().Operation(name)
	if op == nil {
		panic("apiclient: the contract ledger has no operation " + name)
	}
	return &Request{Action: name, Method: op.Method, Path: op.PathFor(url.PathEscape(id))}
}

// RepoBody is the JSON body {"repoPath": source}.
func RepoBody(source string) []byte {
	b, _ := json.Marshal(map[string]string{"repoPath": source})
	return b
}

// AddJSON is AddSnapshotRepo with a raw JSON body, as current SDKs send it.
func AddJSON(dest, source string) *Request {
	r := ForOperation("AddSnapshotRepo", dest)
	r.ContentType, r.Body = "application/json; charset=utf-8", RepoBody(source)
	return r
}

// AddForm is AddSnapshotRepo with the form body body=<JSON>, as the classic
// Go SDK sends it.
func AddForm(dest, source string) *Request {
	r := ForOperation("AddSnapshotRepo", dest)
	r.ContentType, r.Body = "application/x-www-form-urlencoded", []byte(url.Values{"body": {string(RepoBody(source))}}.Encode())
	return r
}

// AddClassic is AddSnapshotRepo exactly as alibaba-cloud-sdk-go's
// generated client sends it: the form body, Accept application/json.
func AddClassic(dest, source string) *Request {
	return AddForm(dest, source)
}

// List is ListSnapshotReposByInstanceId.
func List(dest string) *Request {
	return ForOperation("ListSnapshotReposByInstanceId", dest)
}

// Delete is DeleteSnapshotRepo.
func Delete(dest, source string) *Request {
	r := ForOperation("DeleteSnapshotRepo", dest)
	r.Query = url.Values{"repoPath": {source}, "clientToken": {acs.NewNonce()}}
	return r
}

// Alternatives is ListAlternativeSnapshotRepos.
func Alternatives(dest string, alreadySet bool) *Request {
	r := ForOperation("ListAlternativeSnapshotRepos", dest)
	r.Query = url.Values{"alreadySetItems": {fmt.Sprint(alreadySet)}}
	return r
}

// AlreadySetItemsDefault is what a missing alreadySetItems means, as the
// contract ledger gives it (the SDK models: true).
func AlreadySetItemsDefault() bool {
	p := contract.MustBuiltin().Operation("ListAlternativeSnapshotRepos").Param("alreadySetItems")
	return p != nil && p.Default == "true"
}

// AlternativesByDefault is ListAlternativeSnapshotRepos without
// alreadySetItems: the SDK models give it the default true.
func AlternativesByDefault(dest string) *Request {
	r := Alternatives(dest, true)
	r.Query = url.Values{}
	return r
}

// Describe is DescribeInstance.
func Describe(id string) *Request {
	return ForOperation("DescribeInstance", id)
}

// Instances is ListInstance: page page (from 1) of size instances.
func Instances(page, size int) *Request {
	r := ForOperation("ListInstance", "")
	r.Query = url.Values{"page": {strconv.Itoa(page)}, "size": {strconv.Itoa(size)}}
	return r
}

// Regions is DescribeRegions.
func Regions() *Request { return ForOperation("DescribeRegions", "") }

// ListedInstance is one item of a ListInstance answer, as far as the suite
// reads it.
type ListedInstance struct {
	InstanceID string `json:"instanceId"`
	EsVersion  string `json:"esVersion"`
}

// ListedInstances reads a ListInstance answer's Result.
func (r *Response) ListedInstances() ([]ListedInstance, error) {
	return resultList[ListedInstance](r, "instances")
}

// TotalCount reads a ListInstance answer's Headers.X-Total-Count (the
// reference's sample and the SDK models carry the total there): the total,
// and whether the answer holds one. A total that is not a whole number is
// an error.
func (r *Response) TotalCount() (int, bool, error) {
	var body struct {
		Headers map[string]json.RawMessage `json:"Headers"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		return 0, false, fmt.Errorf("the answer is not a JSON object: %w", err)
	}
	raw, ok := body.Headers["X-Total-Count"]
	if !ok {
		return 0, false, nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil || n < 0 {
		return 0, true, fmt.Errorf("Headers.X-Total-Count is %s, not a count", terminal.Clip(string(raw), 40))
	}
	return n, true, nil
}

// RegionIDs reads a DescribeRegions answer's Result: each region's ID.
func (r *Response) RegionIDs() ([]string, error) {
	regions, err := resultList[struct {
		RegionID string `json:"regionId"`
	}](r, "regions")
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(regions))
	for i, rg := range regions {
		ids[i] = rg.RegionID
	}
	return ids, nil
}

// Repo is one item of a repository list.
type Repo struct {
	InstanceID    string `json:"instanceId"`
	RepoPath      string `json:"repoPath"`
	SnapWarehouse string `json:"snapWarehouse"`
	Status        string `json:"status"`
}

// Repos decodes the Result of a list answer.
func (r *Response) Repos() ([]Repo, error) { return resultList[Repo](r, "repositories") }

// resultList decodes an answer's Result as a list of T, its error naming
// what the list should hold.
func resultList[T any](r *Response, what string) ([]T, error) {
	var out []T
	if err := json.Unmarshal(r.Result, &out); err != nil {
		return nil, fmt.Errorf("the answer's Result is not a list of %s: %w", what, err)
	}
	return out, nil
}

// ResultTrue reports whether Result is the JSON boolean true.
func (r *Response) ResultTrue() bool { return string(r.Result) == "true" }

// ResultFalse reports whether Result is the JSON boolean false: the API
// reference's "false: creation failed" (AddSnapshotRepo) and "false: the
// deletion failed" (DeleteSnapshotRepo).
func (r *Response) ResultFalse() bool { return string(r.Result) == "false" }

// DotSegmentRedirect reports whether r is an HTTP layer's answer to a path
// that is not in canonical form: the request's path, as sent, holds a "."
// or ".." segment, and r redirects (3xx) on the same server to that path
// with its dot segments removed (RFC 3986, section 5.2.4) — as net/http's
// ServeMux and many proxies answer before any API handler runs. The request
// was not served. A percent-encoded slash is no delimiter, so "%2F..%2F"
// is no dot segment; a Location naming a host, or another path, is no such
// redirect.
func (r *Response) DotSegmentRedirect() bool {
	if r.Status < 300 || r.Status > 399 || r.Request == nil {
		return false
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || loc.Scheme != "" || loc.Host != "" || !strings.HasPrefix(loc.Path, "/") {
		return false
	}
	sent := r.Request.Path // the escaped path; the query is apart
	dots := false
	for _, seg := range strings.Split(sent, "/") {
		dots = dots || seg == "." || seg == ".."
	}
	return dots && strings.TrimSuffix(loc.EscapedPath(), "/") == strings.TrimSuffix(path.Clean(sent), "/")
}

// Excerpt is the first n bytes of the body, for messages, control bytes
// escaped.
func (r *Response) Excerpt(n int) string { return terminal.Clip(string(r.Body), n) }

// String describes the exchange for failure messages: the request (method,
// path, the headers that say how it was sent, body) and the answer (status,
// Code, the first 300 bytes), every byte from the implementation escaped.
func (r *Response) String() string {
	req := r.Request
	redirect := ""
	if loc := r.Header.Get("Location"); r.Status >= 300 && r.Status < 400 && loc != "" {
		redirect = " (a redirect to " + terminal.Clip(loc, 200) + ", not followed)"
	}
	return fmt.Sprintf("request: %s %s%s body %q\nanswer: %d%s Code %q body %s",
		req.Method, req.Path, SentHeaders(r.Sent), terminal.Clip(string(req.Body), 200), r.Status, redirect, r.Code, r.Excerpt(300))
}

// shownHeaders are the request headers a failure shows: the ones specs vary.
var shownHeaders = []string{"Content-Type", acs.HeaderDate, acs.HeaderAcsDate, acs.HeaderNonce, acs.HeaderContentMD5, acs.HeaderContentSHA256}

// SentHeaders is " [Content-Type: …; x-acs-date: …; Authorization: ACS3-HMAC-SHA256 key LTAI5t…01]"
// for the headers of a sent request that say how it was sent, or "".
func SentHeaders(h http.Header) string {
	if h == nil {
		return ""
	}
	var parts []string
	for _, name := range shownHeaders {
		if v := h[name]; len(v) > 0 {
			parts = append(parts, name+": "+terminal.Clip(v[0], 80))
		}
	}
	switch auth := h.Get("Authorization"); {
	case auth == "":
		parts = append(parts, "Authorization: none")
	default:
		parts = append(parts, "Authorization: "+acs.DescribeAuthorization(auth))
	}
	return " [" + strings.Join(parts, "; ") + "]"
}

// ClassicAnswer is an answer as alibaba-cloud-sdk-go reads it: a 2xx status
// is a response whose Result and RequestId it decodes; any other is a
// ServerError of the body's Code, Message and RequestId.
type ClassicAnswer struct {
	ServerError bool
	Status      int
	Result      bool
	RequestID   string
	Code        string
	Message     string
	// Problem says why the SDK would fail to read the answer at all: a
	// field it reads that is not a string makes its type assertion panic.
	Problem string
}

// ReadClassic reads r as alibaba-cloud-sdk-go does (a test holds the two to
// each other on every kind of answer).
func ReadClassic(r *Response) ClassicAnswer {
	a := ClassicAnswer{Status: r.Status, ServerError: r.Status < 200 || r.Status >= 300}
	var fields map[string]json.RawMessage
	if json.Unmarshal(r.Body, &fields) != nil {
		if !a.ServerError {
			a.Problem = "the body is not a JSON object"
		}
		return a
	}
	str := func(name string) string {
		raw, ok := fields[name]
		if !ok || string(raw) == "null" {
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) != nil && a.Problem == "" {
			a.Problem = name + " is not a string"
		}
		return s
	}
	a.RequestID = str("RequestId")
	if a.ServerError {
		a.Code, a.Message = str("Code"), str("Message")
		str("HostId")
		str("Recommend")
		return a
	}
	a.Result = string(fields["Result"]) == "true"
	return a
}
