// Package apiclient is an HTTP client for the AddSnapshotRepo API that
// speaks like the official SDKs: signed with either scheme, JSON or form
// bodies, a timeout on every call and a cap on what it reads. The suite drives
// implementations with it; it keeps every exchange for failure reports.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/snaprepo/conform/acs"
)

// Signature selects how requests are signed.
type Signature string

// The signature schemes, and none for unsigned requests.
const (
	SignV3   Signature = "v3"
	SignV1   Signature = "v1"
	Unsigned Signature = "none"
)

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
}

// New makes a client with its own connection pool.
func New(endpoint string, creds acs.Credentials, sig Signature, timeout time.Duration) *Client {
	return &Client{Endpoint: strings.TrimRight(endpoint, "/"), Credentials: creds, Signature: sig, Timeout: timeout,
		HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, ResponseHeaderTimeout: timeout}}}
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
}

// Do sends r and reads the answer.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	u := c.Endpoint + r.Path
	if len(r.Query) > 0 {
		u += "?" + r.Query.Encode()
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
	case SignV1:
		if r.Nonce != "" {
			req.Header.Set(acs.HeaderNonce, nonce)
		}
		acs.SignV1(req, r.Body, c.Credentials, now)
	case Unsigned:
	default:
		acs.SignV3(req, r.Body, c.Credentials, now, nonce)
	}
	if r.Edit != nil {
		r.Edit(req)
	}
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", r.Method, r.Path, err)
	}
	out := &Response{Request: r, Status: resp.StatusCode, Header: resp.Header, Body: body, Duration: time.Since(start)}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil && fields != nil {
		out.JSON = true
		json.Unmarshal(fields["Code"], &out.Code)
		json.Unmarshal(fields["Message"], &out.Message)
		json.Unmarshal(fields["RequestId"], &out.RequestID)
		out.Result = fields["Result"]
	}
	return out, nil
}

// InstancePath is /openapi/instances/{id}[/tail], the ID escaped.
func InstancePath(id, tail string) string {
	p := "/openapi/instances/" + url.PathEscape(id)
	if tail != "" {
		p += "/" + tail
	}
	return p
}

// RepoBody is the JSON body {"repoPath": source}.
func RepoBody(source string) []byte {
	b, _ := json.Marshal(map[string]string{"repoPath": source})
	return b
}

// AddJSON is AddSnapshotRepo with a raw JSON body, as current SDKs send it.
func AddJSON(dest, source string) *Request {
	return &Request{Action: "AddSnapshotRepo", Method: http.MethodPost, Path: InstancePath(dest, "snapshot-repos"),
		ContentType: "application/json; charset=utf-8", Body: RepoBody(source)}
}

// AddForm is AddSnapshotRepo with the form body body=<JSON>, as the classic
// Go SDK sends it.
func AddForm(dest, source string) *Request {
	return &Request{Action: "AddSnapshotRepo", Method: http.MethodPost, Path: InstancePath(dest, "snapshot-repos"),
		ContentType: "application/x-www-form-urlencoded", Body: []byte(url.Values{"body": {string(RepoBody(source))}}.Encode())}
}

// List is ListSnapshotReposByInstanceId.
func List(dest string) *Request {
	return &Request{Action: "ListSnapshotReposByInstanceId", Method: http.MethodGet, Path: InstancePath(dest, "snapshot-repos")}
}

// Delete is DeleteSnapshotRepo.
func Delete(dest, source string) *Request {
	return &Request{Action: "DeleteSnapshotRepo", Method: http.MethodDelete, Path: InstancePath(dest, "snapshot-repos"),
		Query: url.Values{"repoPath": {source}, "clientToken": {acs.NewNonce()}}}
}

// Alternatives is ListAlternativeSnapshotRepos.
func Alternatives(dest string, alreadySet bool) *Request {
	return &Request{Action: "ListAlternativeSnapshotRepos", Method: http.MethodGet, Path: InstancePath(dest, "alternative-snapshot-repos"),
		Query: url.Values{"alreadySetItems": {fmt.Sprint(alreadySet)}}}
}

// Describe is DescribeInstance.
func Describe(id string) *Request {
	return &Request{Action: "DescribeInstance", Method: http.MethodGet, Path: InstancePath(id, "")}
}

// Repo is one item of a repository list.
type Repo struct {
	InstanceID    string `json:"instanceId"`
	RepoPath      string `json:"repoPath"`
	SnapWarehouse string `json:"snapWarehouse"`
	Status        string `json:"status"`
}

// Repos decodes the Result of a list answer.
func (r *Response) Repos() ([]Repo, error) {
	var out []Repo
	if err := json.Unmarshal(r.Result, &out); err != nil {
		return nil, fmt.Errorf("the answer's Result is not a list of repositories: %w", err)
	}
	return out, nil
}

// ResultTrue reports whether Result is the JSON boolean true.
func (r *Response) ResultTrue() bool { return string(r.Result) == "true" }

// Excerpt is the first n bytes of the body, for messages.
func (r *Response) Excerpt(n int) string {
	if len(r.Body) <= n {
		return string(r.Body)
	}
	return string(r.Body[:n]) + "…"
}

// String describes the exchange for failure messages: the request (method,
// path, body) and the answer (status, Code, first 300 bytes).
func (r *Response) String() string {
	req := r.Request
	body := string(req.Body)
	if len(body) > 200 {
		body = body[:200] + "…"
	}
	return fmt.Sprintf("request: %s %s body %q\nanswer: %d Code %q body %s", req.Method, req.Path, body, r.Status, r.Code, r.Excerpt(300))
}
