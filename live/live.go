// Package live reads real instances through the official Go SDK core
// (darabonba-openapi, the generic CallApi every generated Alibaba Cloud
// client is built on) and turns them into the checker's instance records,
// recording where every fact came from. It is the pre-flight side of
// conform: before AddSnapshotRepo, with the caller's own credentials.
package live

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apierror"
	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/contract"
)

// Options configure a Platform.
type Options struct {
	Credentials acs.Credentials
	// Endpoints overrides the endpoint of a region (URL with scheme).
	// Others are https://elasticsearch.<region>.aliyuncs.com.
	Endpoints map[string]string
	// Timeout bounds every call (connect and read); default 10 s.
	Timeout time.Duration
	// Attempts is how often a throttled call is tried; default 3.
	Attempts int
	// Backoff is the first wait after throttling, doubled each time; default 500 ms.
	Backoff time.Duration
	// MaxPages bounds the ListInstance pages of one region; default
	// MaxPages.
	MaxPages int
}

// Platform calls the Elasticsearch API of any region.
type Platform struct {
	o       Options
	clients map[string]*openapi.Client
	// Account is how reports name the credentials' account: the API does not
	// say which account an AccessKey belongs to, only that two instances
	// visible through it share one.
	Account string
}

// New makes a Platform.
func New(o Options) *Platform {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.MaxPages <= 0 {
		o.MaxPages = MaxPages
	}
	return &Platform{o: o, clients: map[string]*openapi.Client{}, Account: "<the account of AccessKey " + acs.MaskKeyID(o.Credentials.AccessKeyID) + ">"}
}

// AccessKeyID is the AccessKey ID the platform is called with (never its
// secret).
func (p *Platform) AccessKeyID() string { return p.o.Credentials.AccessKeyID }

// Endpoint is the URL a region is called at.
func (p *Platform) Endpoint(region string) string {
	if e, ok := p.o.Endpoints[region]; ok {
		return e
	}
	return "https://elasticsearch." + region + ".aliyuncs.com"
}

// Error is a lookup that failed: the network, the credentials, throttling
// or an answer conform does not understand. It is never a verdict.
type Error struct {
	Op, Region, Endpoint string
	Kind                 string // network, auth, throttled, unexpected
	Detail               string
}

// Error is one sentence: what was looked up, where, and what went wrong.
func (e *Error) Error() string {
	return fmt.Sprintf("%s in %s (%s) failed: %s: %s", e.Op, e.Region, e.Endpoint, e.Kind, e.Detail)
}

func (p *Platform) client(region string) (*openapi.Client, error) {
	if c, ok := p.clients[region]; ok {
		return c, nil
	}
	u, err := url.Parse(p.Endpoint(region))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("endpoint %q of %s is not an http(s) URL (want e.g. https://elasticsearch.%s.aliyuncs.com)", p.Endpoint(region), region, region)
	}
	ms := int(p.o.Timeout / time.Millisecond)
	cfg := &openapi.Config{}
	cfg.SetAccessKeyId(p.o.Credentials.AccessKeyID).SetAccessKeySecret(p.o.Credentials.AccessKeySecret).
		SetEndpoint(u.Host).SetProtocol(u.Scheme).SetRegionId(region).SetReadTimeout(ms).SetConnectTimeout(ms)
	if p.o.Credentials.SecurityToken != "" {
		cfg.SetSecurityToken(p.o.Credentials.SecurityToken)
	}
	cfg.HttpClient = boundedClient{timeout: 2 * p.o.Timeout}
	c, err := openapi.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the SDK client for %s: %w", region, err)
	}
	p.clients[region] = c
	return c, nil
}

// operation is one ROA operation of the Elasticsearch API (2017-06-13).
type operation struct {
	action, method, path string
	query                map[string]string
	body                 any
}

// call runs one operation through the SDK with bounded retries on
// throttling, decodes the answer's body into out, and sorts a failure into
// an Error. With mayBeMissing, InstanceNotFound is reported as notFound
// rather than as a failure.
func (p *Platform) call(op, region string, mayBeMissing bool, o operation, out any) (notFound bool, err error) {
	c, err := p.client(region)
	if err != nil {
		return false, &Error{Op: op, Region: region, Endpoint: p.Endpoint(region), Kind: "unexpected", Detail: err.Error()}
	}
	params := &openapi.Params{
		Action: dara.String(o.action), Version: dara.String("2017-06-13"), Protocol: dara.String("HTTPS"),
		Pathname: dara.String(o.path), Method: dara.String(o.method), AuthType: dara.String("AK"),
		Style: dara.String("ROA"), ReqBodyType: dara.String("json"), BodyType: dara.String("json"),
	}
	req := &openapi.OpenApiRequest{}
	if len(o.query) > 0 {
		req.Query = map[string]*string{}
		for k, v := range o.query {
			req.Query[k] = dara.String(v)
		}
	}
	if o.body != nil {
		req.Body = o.body
	}
	ms := int(p.o.Timeout / time.Millisecond)
	runtime := &dara.RuntimeOptions{Autoretry: dara.Bool(false), ReadTimeout: dara.Int(ms), ConnectTimeout: dara.Int(ms)}
	wait := p.o.Backoff
	for attempt := 1; ; attempt++ {
		res, err := c.CallApi(params, req, runtime)
		if err == nil {
			b, err := json.Marshal(res["body"])
			if err == nil {
				err = json.Unmarshal(b, out)
			}
			if err != nil {
				return false, &Error{Op: op, Region: region, Endpoint: p.Endpoint(region), Kind: "unexpected", Detail: "the answer is not the JSON the API documents: " + err.Error()}
			}
			return false, nil
		}
		fail := &Error{Op: op, Region: region, Endpoint: p.Endpoint(region)}
		var se *tea.SDKError
		var ne net.Error
		var redirect *RedirectError
		isServer := errors.As(err, &se) && se.StatusCode != nil && tea.IntValue(se.StatusCode) > 0
		code, status := "", 0
		if isServer {
			code, status = tea.StringValue(se.Code), tea.IntValue(se.StatusCode)
		}
		switch {
		case isServer && mayBeMissing && code == apierror.InstanceNotFound.Code:
			return true, nil
		case isServer && isThrottled(code, status):
			fail.Kind, fail.Detail = "throttled", fmt.Sprintf("%s after %d attempts (HTTP %d, RequestId %s)", code, attempt, status, requestIDOf(se))
			if attempt < p.o.Attempts {
				time.Sleep(wait)
				wait *= 2
				continue
			}
		case isServer && isAuth(code):
			fail.Kind, fail.Detail = "auth", fmt.Sprintf("%s: %s (check the AccessKey, its secret and its RAM permissions)", code, firstLine(messageOf(se)))
		case isServer:
			fail.Kind, fail.Detail = "unexpected", fmt.Sprintf("HTTP %d %s: %s", status, code, firstLine(messageOf(se)))
		case errors.As(err, &redirect), strings.Contains(err.Error(), "conform follows no redirect"):
			fail.Kind, fail.Detail = "unexpected", redirect.Error()
		case isTooLarge(err) || strings.Contains(err.Error(), errTooLarge.Error()):
			fail.Kind, fail.Detail = "unexpected", errTooLarge.Error()
		case errors.As(err, &ne) && ne.Timeout(), strings.Contains(err.Error(), "timeout"), strings.Contains(err.Error(), "deadline exceeded"):
			fail.Kind, fail.Detail = "network", fmt.Sprintf("no answer within %s (%s)", p.o.Timeout, firstLine(err.Error()))
		default:
			fail.Kind, fail.Detail = "network", firstLine(err.Error())
		}
		return false, fail
	}
}

// messageOf is the platform's Message of an SDK error, without the SDK's
// own decoration.
func messageOf(se *tea.SDKError) string {
	var body struct{ Message string }
	if json.Unmarshal([]byte(tea.StringValue(se.Data)), &body) == nil && body.Message != "" {
		return body.Message
	}
	return tea.StringValue(se.Message)
}

// requestIDOf is the RequestId of the answer an SDK error carries.
func requestIDOf(se *tea.SDKError) string {
	var body struct{ RequestId string }
	json.Unmarshal([]byte(tea.StringValue(se.Data)), &body)
	return body.RequestId
}

func isThrottled(code string, status int) bool {
	return strings.HasPrefix(code, "Throttling") || status == 429 || status == 503
}

func isAuth(code string) bool {
	for _, c := range []apierror.Error{apierror.UnknownAccessKey, apierror.SignatureDoesNotMatch, apierror.Forbidden,
		apierror.IncompleteSignature, apierror.MissingSignature, apierror.TimestampExpired} {
		if code == c.Code {
			return true
		}
	}
	return strings.HasPrefix(code, "InvalidAccessKeyId") || strings.HasPrefix(code, "Forbidden")
}

// firstLine shortens a platform message for one sentence: its first line,
// without the string to sign that SignatureDoesNotMatch carries.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	s, _, _ = strings.Cut(s, apierror.StringToSignMarker)
	s = strings.TrimSpace(s)
	if len(s) > 240 {
		s = s[:240] + "…"
	}
	return s
}

// Fact is one thing conform knows of an instance, and where it came from.
type Fact struct {
	Instance string `json:"instance"`
	Field    string `json:"field"`
	Value    string `json:"value"`
	Source   string `json:"source"`
}

// Described is an instance as read from the platform.
type Described struct {
	Instance checks.Instance
	Facts    []Fact
}

// Describe reads one instance with DescribeInstance; nil when the region
// does not know it for these credentials.
func (p *Platform) Describe(region, id string) (*Described, error) {
	var resp struct {
		RequestID string `json:"RequestId"`
		Result    struct {
			InstanceID       string                   `json:"instanceId"`
			EsVersion        string                   `json:"esVersion"`
			InstanceCategory string                   `json:"instanceCategory"`
			Status           string                   `json:"status"`
			ExtendConfigs    []map[string]interface{} `json:"extendConfigs"`
		} `json:"Result"`
	}
	notFound, err := p.call("DescribeInstance "+id, region, true, ledgerOperation("DescribeInstance", id), &resp)
	if err != nil || notFound {
		return nil, err
	}
	r := resp.Result
	if r.InstanceID != id {
		// A verdict is never built from an answer about another instance.
		return nil, &Error{Op: "DescribeInstance " + id, Region: region, Endpoint: p.Endpoint(region), Kind: "unexpected",
			Detail: fmt.Sprintf("the answer is about instance %q, not %q, the instance asked for", firstLine(r.InstanceID), id)}
	}
	source := fmt.Sprintf("DescribeInstance in %s (RequestId %s)", region, resp.RequestID)
	return p.record(region, id, r.EsVersion, r.InstanceCategory, r.Status, r.ExtendConfigs, source)
}

// ledgerOperation is the operation called name on instance id (if the
// path has one), with the method and path of the contract ledger
// (fixtures/contract.yaml); the ID is percent-encoded as the generated SDKs
// do. An operation the ledger lacks is a defect of this package.
func ledgerOperation(name, id string) operation {
	op := contract.MustBuiltin().Operation(name)
	if op == nil {
		panic("live: the contract ledger has no operation " + name)
	}
	return operation{action: name, method: op.Method, path: op.PathFor(url.PathEscape(id))}
}

// record maps the platform's fields to the checker's instance record.
func (p *Platform) record(region, id, esVersion, category, status string, extend []map[string]interface{}, source string) (*Described, error) {
	bad := func(field, value string, err error) error {
		return &Error{Op: "reading " + id, Region: region, Endpoint: p.Endpoint(region), Kind: "unexpected",
			Detail: fmt.Sprintf("%s %q: %v", field, value, err)}
	}
	d := &Described{Instance: checks.Instance{ID: id, Account: p.Account, Region: region}}
	var err error
	if d.Instance.Version, err = checks.ParseVersion(esVersion); err != nil {
		return nil, bad("esVersion", esVersion, err)
	}
	if d.Instance.Edition, err = checks.ParseEdition(category); err != nil {
		return nil, bad("instanceCategory", category, err)
	}
	if d.Instance.Status, err = checks.ParseStatus(status); err != nil {
		return nil, bad("status", status, err)
	}
	kernel := ""
	for _, c := range extend {
		if c["configType"] == "aliVersion" {
			kernel, _ = c["aliVersion"].(string)
		}
	}
	if kernel != "" {
		if d.Instance.Kernel, err = checks.ParseKernel(kernel); err != nil {
			return nil, bad("extendConfigs aliVersion", kernel, err)
		}
	}
	d.Facts = []Fact{
		{id, "region", region, "the endpoint that answered, " + p.Endpoint(region)},
		{id, "account", p.Account, "the credentials: instances visible through one AccessKey share its account"},
		{id, "version", esVersion, source + ", esVersion"},
		{id, "edition", string(d.Instance.Edition), source + ", instanceCategory " + strconv.Quote(category)},
		{id, "status", status, source + ", status"},
	}
	if kernel != "" {
		d.Facts = append(d.Facts, Fact{id, "kernel", kernel, source + ", extendConfigs aliVersion"})
	} else {
		d.Facts = append(d.Facts, Fact{id, "kernel", "not known", source + ": no aliVersion in extendConfigs"})
	}
	return d, nil
}

// Regions lists the regions the service names, via DescribeRegions in region.
func (p *Platform) Regions(region string) ([]string, error) {
	var resp struct {
		Result []struct {
			RegionID string `json:"regionId"`
		} `json:"Result"`
	}
	if _, err := p.call("DescribeRegions", region, false, ledgerOperation("DescribeRegions", ""), &resp); err != nil {
		return nil, err
	}
	var out []string
	for _, r := range resp.Result {
		out = append(out, r.RegionID)
	}
	return out, nil
}

// pageSize is the ListInstance page size; the API allows at most 100.
const pageSize = 100

// MaxPages bounds the ListInstance pages read for one region: 10,000 pages
// of 100 are a million instances, beyond any account's fleet. A platform
// that answers full pages without end is a failed lookup, not a loop.
const MaxPages = 10_000

// ListInstances reads every instance of the region, all pages. Instances
// of 6.7.0 are described one by one, as ListInstance does not say their edition.
func (p *Platform) ListInstances(region string) ([]Described, error) {
	var out []Described
	for page := 1; ; page++ {
		if page > p.o.MaxPages {
			return nil, &Error{Op: "ListInstance", Region: region, Endpoint: p.Endpoint(region), Kind: "unexpected",
				Detail: fmt.Sprintf("more than %d pages of %d instances answered: stopped (the answers never end)", p.o.MaxPages, pageSize)}
		}
		var resp struct {
			RequestID string `json:"RequestId"`
			Headers   struct {
				// X-Total-Count is the reference's total; an
				// implementation that leaves it out is paged to a short page.
				XTotalCount *int `json:"X-Total-Count"`
			} `json:"Headers"`
			Result []struct {
				InstanceID    string                   `json:"instanceId"`
				EsVersion     string                   `json:"esVersion"`
				Status        string                   `json:"status"`
				ExtendConfigs []map[string]interface{} `json:"extendConfigs"`
			} `json:"Result"`
		}
		o := ledgerOperation("ListInstance", "")
		o.query = map[string]string{"page": strconv.Itoa(page), "size": strconv.Itoa(pageSize)}
		if _, err := p.call("ListInstance page "+strconv.Itoa(page), region, false, o, &resp); err != nil {
			return nil, err
		}
		if len(resp.Result) > pageSize {
			// An answer must be about what was asked: a page of more than
			// the size asked for is not the API's.
			return nil, &Error{Op: "ListInstance page " + strconv.Itoa(page), Region: region, Endpoint: p.Endpoint(region), Kind: "unexpected",
				Detail: fmt.Sprintf("a page of %d instances answered, more than the %d asked for", len(resp.Result), pageSize)}
		}
		for _, in := range resp.Result {
			source := fmt.Sprintf("ListInstance in %s page %d (RequestId %s)", region, page, resp.RequestID)
			d, err := p.record(region, in.InstanceID, in.EsVersion, "", in.Status, in.ExtendConfigs, source)
			if err != nil {
				return nil, err
			}
			if d.Instance.Version.Is(6, 7, 0) {
				if d, err = p.Describe(region, in.InstanceID); err != nil {
					return nil, err
				}
				if d == nil {
					continue // gone between the two calls
				}
			}
			out = append(out, *d)
		}
		if total := resp.Headers.XTotalCount; len(resp.Result) < pageSize || (total != nil && len(out) >= *total) {
			return out, nil
		}
	}
}

// repoList is the answer of the two operations that list repositories.
type repoList struct {
	Result []struct {
		RepoPath string `json:"repoPath"`
		Status   string `json:"status"`
	} `json:"Result"`
}

// Repo is one repository a destination references: its source, and its
// status as ListSnapshotReposByInstanceId reports it (API reference:
// available or unavailable; "" when the answer leaves it out).
type Repo struct {
	Source, Status string
}

// ReposOf is every repository dest references, with its status.
func (p *Platform) ReposOf(region, dest string) ([]Repo, error) {
	var resp repoList
	o := ledgerOperation("ListSnapshotReposByInstanceId", dest)
	if _, err := p.call("ListSnapshotReposByInstanceId "+dest, region, false, o, &resp); err != nil {
		return nil, err
	}
	out := make([]Repo, 0, len(resp.Result))
	for _, r := range resp.Result {
		out = append(out, Repo{Source: r.RepoPath, Status: r.Status})
	}
	return out, nil
}

func (l repoList) paths() []string {
	out := make([]string, 0, len(l.Result))
	for _, r := range l.Result {
		out = append(out, r.RepoPath)
	}
	return out
}

// Alternatives is what ListAlternativeSnapshotRepos offers dest, including
// the repositories it references already.
func (p *Platform) Alternatives(region, dest string) ([]string, error) {
	var resp repoList
	o := ledgerOperation("ListAlternativeSnapshotRepos", dest)
	o.query = map[string]string{"alreadySetItems": "true"}
	if _, err := p.call("ListAlternativeSnapshotRepos "+dest, region, false, o, &resp); err != nil {
		return nil, err
	}
	return resp.paths(), nil
}

// Repos is what dest references, per ListSnapshotReposByInstanceId.
func (p *Platform) Repos(region, dest string) ([]string, error) {
	var resp repoList
	o := ledgerOperation("ListSnapshotReposByInstanceId", dest)
	if _, err := p.call("ListSnapshotReposByInstanceId "+dest, region, false, o, &resp); err != nil {
		return nil, err
	}
	return resp.paths(), nil
}

// DeclinedError is an AddSnapshotRepo the platform answered 200 with Result
// false: the API reference's "false: creation failed", a refusal, not a
// failed lookup.
type DeclinedError struct {
	RequestID string
}

// Error says what the platform answered.
func (e *DeclinedError) Error() string {
	return fmt.Sprintf("the platform answered Result false (RequestId %s): creation failed, nothing was created", e.RequestID)
}

// Add calls AddSnapshotRepo and returns its RequestId; an answer of Result
// false is a *DeclinedError.
func (p *Platform) Add(region, dest, source string) (string, error) {
	var resp struct {
		RequestID string `json:"RequestId"`
		Result    bool   `json:"Result"`
	}
	o := ledgerOperation("AddSnapshotRepo", dest)
	o.body = map[string]interface{}{"repoPath": source}
	if _, err := p.call("AddSnapshotRepo "+dest+" ← "+source, region, false, o, &resp); err != nil {
		return "", err
	}
	if !resp.Result {
		return "", &DeclinedError{RequestID: resp.RequestID}
	}
	return resp.RequestID, nil
}
