// Package live reads real instances through the official Go SDK
// (alibaba-cloud-sdk-go, services/elasticsearch) and turns them into the
// checker's instance records, recording where every fact came from. It is
// the pre-flight side of conform: before AddSnapshotRepo, with the caller's
// own credentials.
package live

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/elasticsearch"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apierror"
	"github.com/snaprepo/conform/checks"
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
}

// Platform calls the Elasticsearch API of any region.
type Platform struct {
	o       Options
	clients map[string]*elasticsearch.Client
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
	return &Platform{o: o, clients: map[string]*elasticsearch.Client{}, Account: "<the account of AccessKey " + acs.MaskKeyID(o.Credentials.AccessKeyID) + ">"}
}

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

func (p *Platform) client(region string) (*elasticsearch.Client, error) {
	if c, ok := p.clients[region]; ok {
		return c, nil
	}
	var cred auth.Credential = credentials.NewAccessKeyCredential(p.o.Credentials.AccessKeyID, p.o.Credentials.AccessKeySecret)
	if p.o.Credentials.SecurityToken != "" {
		cred = credentials.NewStsTokenCredential(p.o.Credentials.AccessKeyID, p.o.Credentials.AccessKeySecret, p.o.Credentials.SecurityToken)
	}
	cfg := sdk.NewConfig().WithAutoRetry(false).WithTimeout(p.o.Timeout)
	c, err := elasticsearch.NewClientWithOptions(region, cfg, cred)
	if err != nil {
		return nil, fmt.Errorf("creating the SDK client for %s: %w", region, err)
	}
	c.SetConnectTimeout(p.o.Timeout)
	c.SetReadTimeout(p.o.Timeout)
	p.clients[region] = c
	return c, nil
}

// aim points an SDK request at the region's endpoint.
func (p *Platform) aim(region string, req interface {
	SetScheme(string)
	SetDomain(string)
}, port *string) error {
	u, err := url.Parse(p.Endpoint(region))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("endpoint %q of %s is not an http(s) URL (want e.g. https://elasticsearch.%s.aliyuncs.com)", p.Endpoint(region), region, region)
	}
	req.SetScheme(u.Scheme)
	req.SetDomain(u.Hostname())
	*port = u.Port()
	if *port == "" {
		*port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return nil
}

// call runs one SDK call with bounded retries on throttling, and sorts its
// failure into an Error. With mayBeMissing, InstanceNotFound is reported as
// notFound rather than as a failure.
func (p *Platform) call(op, region string, mayBeMissing bool, do func(*elasticsearch.Client) error) (notFound bool, err error) {
	c, err := p.client(region)
	if err != nil {
		return false, &Error{Op: op, Region: region, Endpoint: p.Endpoint(region), Kind: "unexpected", Detail: err.Error()}
	}
	wait := p.o.Backoff
	for attempt := 1; ; attempt++ {
		err = do(c)
		if err == nil {
			return false, nil
		}
		fail := &Error{Op: op, Region: region, Endpoint: p.Endpoint(region)}
		var se *sdkerrors.ServerError
		var ce *sdkerrors.ClientError
		var ne net.Error
		switch {
		case mayBeMissing && errors.As(err, &se) && se.ErrorCode() == apierror.InstanceNotFound.Code:
			return true, nil
		case errors.As(err, &se) && isThrottled(se):
			fail.Kind, fail.Detail = "throttled", fmt.Sprintf("%s after %d attempts (HTTP %d, RequestId %s)", se.ErrorCode(), attempt, se.HttpStatus(), se.RequestId())
			if attempt < p.o.Attempts {
				time.Sleep(wait)
				wait *= 2
				continue
			}
		case errors.As(err, &se) && isAuth(se.ErrorCode()):
			fail.Kind, fail.Detail = "auth", fmt.Sprintf("%s: %s (check the AccessKey, its secret and its RAM permissions)", se.ErrorCode(), firstLine(se.Message()))
		case errors.As(err, &se):
			fail.Kind, fail.Detail = "unexpected", fmt.Sprintf("HTTP %d %s: %s", se.HttpStatus(), se.ErrorCode(), firstLine(se.Message()))
		case errors.As(err, &ne) && ne.Timeout(), errors.As(err, &ce) && ce.ErrorCode() == sdkerrors.TimeoutErrorCode:
			fail.Kind, fail.Detail = "network", fmt.Sprintf("no answer within %s (%s)", p.o.Timeout, firstLine(err.Error()))
		case errors.As(err, &ne), errors.As(err, &ce):
			fail.Kind, fail.Detail = "network", firstLine(err.Error())
		default:
			fail.Kind, fail.Detail = "unexpected", firstLine(err.Error())
		}
		return false, fail
	}
}

func isThrottled(se *sdkerrors.ServerError) bool {
	return strings.HasPrefix(se.ErrorCode(), "Throttling") || se.HttpStatus() == 429 || se.HttpStatus() == 503
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
	req := elasticsearch.CreateDescribeInstanceRequest()
	if err := p.aim(region, req, &req.Port); err != nil {
		return nil, err
	}
	req.InstanceId = id
	var resp *elasticsearch.DescribeInstanceResponse
	notFound, err := p.call("DescribeInstance "+id, region, true, func(c *elasticsearch.Client) (err error) {
		resp, err = c.DescribeInstance(req)
		return err
	})
	if err != nil || notFound {
		return nil, err
	}
	r := resp.Result
	source := fmt.Sprintf("DescribeInstance in %s (RequestId %s)", region, resp.RequestId)
	return p.record(region, id, r.EsVersion, r.InstanceCategory, r.Status, r.ExtendConfigs, source)
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
	req := elasticsearch.CreateDescribeRegionsRequest()
	if err := p.aim(region, req, &req.Port); err != nil {
		return nil, err
	}
	var resp *elasticsearch.DescribeRegionsResponse
	if _, err := p.call("DescribeRegions", region, false, func(c *elasticsearch.Client) (err error) {
		resp, err = c.DescribeRegions(req)
		return err
	}); err != nil {
		return nil, err
	}
	var out []string
	for _, r := range resp.Result {
		out = append(out, r.RegionId)
	}
	return out, nil
}

// pageSize is the ListInstance page size; the API allows at most 100.
const pageSize = 100

// ListInstances reads every instance of the region, all pages. Instances
// of 6.7.0 are described one by one, as ListInstance does not say their edition.
func (p *Platform) ListInstances(region string) ([]Described, error) {
	var out []Described
	for page := 1; ; page++ {
		req := elasticsearch.CreateListInstanceRequest()
		if err := p.aim(region, req, &req.Port); err != nil {
			return nil, err
		}
		req.Page = requests.NewInteger(page)
		req.Size = requests.NewInteger(pageSize)
		var resp *elasticsearch.ListInstanceResponse
		if _, err := p.call("ListInstance page "+strconv.Itoa(page), region, false, func(c *elasticsearch.Client) (err error) {
			resp, err = c.ListInstance(req)
			return err
		}); err != nil {
			return nil, err
		}
		for _, in := range resp.Result {
			source := fmt.Sprintf("ListInstance in %s page %d (RequestId %s)", region, page, resp.RequestId)
			d, err := p.record(region, in.InstanceId, in.EsVersion, "", in.Status, in.ExtendConfigs, source)
			if err != nil {
				return nil, err
			}
			if d.Instance.Version.Is(6, 7, 0) {
				if d, err = p.Describe(region, in.InstanceId); err != nil {
					return nil, err
				}
				if d == nil {
					continue // gone between the two calls
				}
			}
			out = append(out, *d)
		}
		if len(resp.Result) < pageSize || len(out) >= resp.Headers.XTotalCount {
			return out, nil
		}
	}
}

// Alternatives is what ListAlternativeSnapshotRepos offers dest, including
// the repositories it references already.
func (p *Platform) Alternatives(region, dest string) ([]string, error) {
	req := elasticsearch.CreateListAlternativeSnapshotReposRequest()
	if err := p.aim(region, req, &req.Port); err != nil {
		return nil, err
	}
	req.InstanceId = dest
	req.AlreadySetItems = requests.NewBoolean(true)
	var resp *elasticsearch.ListAlternativeSnapshotReposResponse
	if _, err := p.call("ListAlternativeSnapshotRepos "+dest, region, false, func(c *elasticsearch.Client) (err error) {
		resp, err = c.ListAlternativeSnapshotRepos(req)
		return err
	}); err != nil {
		return nil, err
	}
	return repoPaths(resp.Result), nil
}

// Repos is what dest references, per ListSnapshotReposByInstanceId.
func (p *Platform) Repos(region, dest string) ([]string, error) {
	req := elasticsearch.CreateListSnapshotReposByInstanceIdRequest()
	if err := p.aim(region, req, &req.Port); err != nil {
		return nil, err
	}
	req.InstanceId = dest
	var resp *elasticsearch.ListSnapshotReposByInstanceIdResponse
	if _, err := p.call("ListSnapshotReposByInstanceId "+dest, region, false, func(c *elasticsearch.Client) (err error) {
		resp, err = c.ListSnapshotReposByInstanceId(req)
		return err
	}); err != nil {
		return nil, err
	}
	return repoPaths(resp.Result), nil
}

// Add calls AddSnapshotRepo and returns its RequestId.
func (p *Platform) Add(region, dest, source string) (string, error) {
	req := elasticsearch.CreateAddSnapshotRepoRequest()
	if err := p.aim(region, req, &req.Port); err != nil {
		return "", err
	}
	req.InstanceId = dest
	req.Body = `{"repoPath":` + strconv.Quote(source) + `}`
	var resp *elasticsearch.AddSnapshotRepoResponse
	if _, err := p.call("AddSnapshotRepo "+dest+" ← "+source, region, false, func(c *elasticsearch.Client) (err error) {
		resp, err = c.AddSnapshotRepo(req)
		return err
	}); err != nil {
		return "", err
	}
	if !resp.Result {
		return "", &Error{Op: "AddSnapshotRepo", Region: region, Endpoint: p.Endpoint(region), Kind: "unexpected", Detail: "the platform answered Result false"}
	}
	return resp.RequestId, nil
}

func repoPaths(repos []elasticsearch.Repo) []string {
	out := make([]string, 0, len(repos))
	for _, r := range repos {
		out = append(out, r.RepoPath)
	}
	return out
}
