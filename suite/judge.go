package suite

import (
	"encoding/json"
	"fmt"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	. "github.com/onsi/ginkgo/v2"

	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/checks"
)

// How an answer is judged. Only what the API reference, the SDK models or
// every official SDK imply is compared exactly: the documented errors'
// status and Code (and Message, which the reference gives), success as
// 200 with Result true. A refusal the reference does not document is judged
// by its effect: a 4xx error envelope, or 200 with Result false — the
// reference documents Result as "true: succeeded; false: failed" — and,
// where the suite can look, nothing created.

// accepted reports whether the answer says the request took: 200 and Result
// the JSON boolean true. No spec reads a 200 as acceptance without Result.
func accepted(resp *apiclient.Response) bool { return resp.Status == 200 && resp.ResultTrue() }

// declined reports whether the answer is the reference's other way of
// refusing: 200 with Result the JSON boolean false.
func declined(resp *apiclient.Response) bool { return resp.Status == 200 && resp.ResultFalse() }

// problems gathers every way an answer falls short, so one failure message
// lists them all instead of the first.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// check fails the spec with every problem, the requirement, the exchange
// and the expectation.
func (p problems) check(resp *apiclient.Response, expected string) {
	GinkgoHelper()
	if len(p) == 0 {
		return
	}
	fail(fmt.Sprintf("[%s] expected %s\n  - %s\n%s", ids(), expected, strings.Join(p, "\n  - "), resp))
}

// envelopeProblems checks the error envelope: JSON with non-empty string
// Code, Message, RequestId.
func envelopeProblems(resp *apiclient.Response) problems {
	var p problems
	var fields map[string]any
	if err := json.Unmarshal(resp.Body, &fields); err != nil || fields == nil {
		p.add("the body is not a JSON object")
		return p
	}
	for _, name := range []string{"Code", "Message", "RequestId"} {
		s, ok := fields[name].(string)
		if !ok || s == "" {
			p.add("%s is not a non-empty string (got %v)", name, fields[name])
		}
	}
	return p
}

// MaxRequestID is the longest RequestId the suite accepts: the platform's
// are 36-character UUIDs; the format is open (OK-REQUEST-ID), a bound and
// printable characters are conform's own demand, so that no answer's
// RequestId can carry a terminal escape or a page into a report.
const MaxRequestID = 256

// requestIDProblems wants a non-empty string RequestId in the body, of
// printable characters, at most MaxRequestID bytes.
func requestIDProblems(resp *apiclient.Response) problems {
	var p problems
	var fields map[string]any
	json.Unmarshal(resp.Body, &fields)
	s, ok := fields["RequestId"].(string)
	switch {
	case !ok || s == "":
		p.add("RequestId is not a non-empty string")
	case len(s) > MaxRequestID:
		p.add("RequestId is %d bytes long, want at most %d", len(s), MaxRequestID)
	case !printable(s):
		p.add("RequestId %q holds a control character or invalid UTF-8, want printable text", s)
	}
	return p
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// expectSuccess wants 200, application/json, Result true and a RequestId.
func expectSuccess(resp *apiclient.Response) {
	GinkgoHelper()
	successProblems(resp).check(resp, wantSuccess)
}

const wantSuccess = "success: 200, application/json, Result true, a RequestId"

// successProblems is every way resp falls short of a success answer.
func successProblems(resp *apiclient.Response) problems {
	var p problems
	if resp.Status != 200 {
		p.add("status %d, want 200", resp.Status)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		p.add("Content-Type %q, want application/json", resp.Header.Get("Content-Type"))
	}
	switch {
	case declined(resp):
		p.add("Result is false: the implementation says the request failed (the API reference's \"false: creation failed\")")
	case !resp.ResultTrue():
		p.add("Result is %s, want the JSON boolean true", orNone(resp.Result))
	}
	return append(p, requestIDProblems(resp)...)
}

func orNone(raw json.RawMessage) string {
	if raw == nil {
		return "missing"
	}
	return string(raw)
}

// expectRefused wants a refusal: with a code, a 4xx envelope carrying it;
// without, a 4xx envelope or 200 with Result false.
func expectRefused(resp *apiclient.Response, code string) {
	GinkgoHelper()
	refusedProblems(resp, code).check(resp, wantRefused(code))
}

func wantRefused(code string) string {
	if code != "" {
		return "a refusal: 4xx and an error envelope with Code " + code
	}
	return "a refusal: 4xx and an error envelope, or 200 with Result false"
}

// refusedProblems is every way resp falls short of a refusal. A code is
// demanded only where one is documented; without one, the reference's
// Result false is a refusal too.
//
// Where no code is demanded, an HTTP layer's redirect of a path holding a
// dot segment to its clean form (net/http's ServeMux does this before any
// handler runs) is a refusal too: the request as sent was not served, and
// the suite follows no redirect (apiclient.Response.DotSegmentRedirect).
func refusedProblems(resp *apiclient.Response, code string) problems {
	if code == "" && resp.DotSegmentRedirect() {
		return nil
	}
	if code == "" && resp.Status == 200 {
		if declined(resp) {
			return requestIDProblems(resp)
		}
		return problems{fmt.Sprintf("status 200 with Result %s: want a 4xx error envelope, or 200 with Result false", orNone(resp.Result))}
	}
	p := envelopeProblems(resp)
	if resp.Status < 400 || resp.Status > 499 {
		p.add("status %d, want 4xx", resp.Status)
	}
	if code != "" && resp.Code != code {
		p.add("Code %q, want %q", resp.Code, code)
	}
	return p
}

// unseenReadProblems is every way resp falls short of an answer to a read
// — DescribeInstance, ListSnapshotReposByInstanceId or
// ListAlternativeSnapshotRepos — of an instance the caller cannot see (none
// of the world, another account's, an ID no instance has). The reference
// documents InstanceNotFound for AddSnapshotRepo and DeleteSnapshotRepo
// only: a read may be refused with any 4xx envelope, and a list may be
// empty. That another account's instance is answered as one that does not
// exist is AUTH-TENANT's comparison, not this.
func unseenReadProblems(resp *apiclient.Response, r *apiclient.Request) problems {
	if r.Action != "DescribeInstance" && resp.Status == 200 && strings.TrimSpace(string(resp.Result)) == "[]" {
		return requestIDProblems(resp)
	}
	return refusedProblems(resp, "")
}

const wantUnseenRead = "a refusal (a 4xx error envelope), or for a list an empty one"

// answeredProblems is every way resp falls short of an answer where the
// outcome is open: success, or a refusal as refusedProblems reads one.
func answeredProblems(resp *apiclient.Response) problems {
	if accepted(resp) {
		return nil
	}
	return refusedProblems(resp, "")
}

const wantAnswered = "success, or a refusal: a 4xx error envelope or 200 with Result false"

// expectError wants exactly the documented status, code and message.
func expectError(resp *apiclient.Response, status int, code, message string) {
	GinkgoHelper()
	errorProblems(resp, status, code, message).check(resp, fmt.Sprintf("%d %s %q", status, code, message))
}

// errorProblems is every way resp differs from a documented error.
func errorProblems(resp *apiclient.Response, status int, code, message string) problems {
	p := envelopeProblems(resp)
	if resp.Status != status {
		p.add("status %d, want %d", resp.Status, status)
	}
	if resp.Code != code {
		p.add("Code %q, want %q", resp.Code, code)
	}
	if resp.Message != message {
		p.add("Message %q, want %q", resp.Message, message)
	}
	return p
}

// masked is msg with the caller's own input — the IDs it sent — replaced by
// one placeholder: two answers that must be indistinguishable may each
// echo what they were sent.
func masked(msg string, input ...string) string {
	for _, in := range input {
		if in != "" {
			msg = strings.ReplaceAll(msg, in, "<input>")
		}
	}
	return msg
}

// indistinguishable is "" when a and b tell the caller the same — status,
// Code, Result, and Message once the IDs each was sent are masked — else
// how they differ.
func indistinguishable(a, b *apiclient.Response, aInput, bInput []string) string {
	var diff []string
	if a.Status != b.Status {
		diff = append(diff, fmt.Sprintf("status %d against %d", a.Status, b.Status))
	}
	if a.Code != b.Code {
		diff = append(diff, fmt.Sprintf("Code %q against %q", a.Code, b.Code))
	}
	if string(a.Result) != string(b.Result) {
		diff = append(diff, fmt.Sprintf("Result %s against %s", orNone(a.Result), orNone(b.Result)))
	}
	if ma, mb := masked(a.Message, aInput...), masked(b.Message, bInput...); ma != mb {
		diff = append(diff, fmt.Sprintf("Message %q against %q (the IDs sent masked)", ma, mb))
	}
	return strings.Join(diff, "; ")
}

// documented is the API error the oracle expects when it is documented and
// the only one possible: the order in which an implementation checks the
// rules is not documented, so when several rules refuse a pair, any of
// their refusals may come first and only a refusal is demanded.
func documented(v *checks.Verdict) string {
	if e := v.APIError(); e != nil && e.Documented && v.Failing() == 1 {
		return e.Code
	}
	return ""
}

// sourceStatusOpen reports whether the rules accept a pair whose source is
// not active: the documentation names only the destination's status, so an
// implementation may accept or refuse it.
func sourceStatusOpen(v *checks.Verdict) bool {
	return v.Compatible() && v.Source != nil && v.Source.Status != checks.StatusActive
}

// expectDescribed wants DescribeInstance of in to report its version (the
// exact esVersion string of the world), status, edition and, where the world
// and the answer give one, kernel.
func (e *env) expectDescribed(ctx SpecContext, in *checks.Instance) {
	GinkgoHelper()
	resp := e.send(ctx, e.client, apiclient.Describe(in.ID))
	var p problems
	var got struct {
		InstanceID       string `json:"instanceId"`
		EsVersion        string `json:"esVersion"`
		Status           string `json:"status"`
		InstanceCategory string `json:"instanceCategory"`
		ExtendConfigs    []struct {
			ConfigType string `json:"configType"`
			AliVersion string `json:"aliVersion"`
		} `json:"extendConfigs"`
	}
	if resp.Status != 200 {
		p.add("status %d, want 200", resp.Status)
	}
	if err := json.Unmarshal(resp.Result, &got); err != nil {
		p.add("Result is not an instance: %v", err)
	}
	if got.InstanceID != in.ID {
		p.add("instanceId %q, want %q", got.InstanceID, in.ID)
	}
	// The facts, not their spelling: 7.10_with_X-Pack is 7.10.0_with_X-Pack,
	// and the SDK models' comments capitalise statuses (Active).
	if v, err := checks.ParseVersion(got.EsVersion); err != nil || v.Key != in.Version.Key || !strings.EqualFold(v.Suffix, in.Version.Suffix) {
		p.add("esVersion %q, want %s (as the world gives it, in any spelling of that version)", got.EsVersion, in.Version.Raw)
	}
	if st, err := checks.ParseStatus(got.Status); err != nil || st != in.Status {
		p.add("status %q, want %s (in any case)", got.Status, in.Status)
	}
	if got.InstanceCategory != "" {
		if ed, err := checks.ParseEdition(got.InstanceCategory); err != nil || ed != in.Edition {
			p.add("instanceCategory %q is not edition %s", got.InstanceCategory, in.Edition)
		}
	}
	for _, c := range got.ExtendConfigs {
		if c.AliVersion == "" || in.Kernel == nil {
			continue
		}
		if k, err := checks.ParseKernel(c.AliVersion); err != nil || !k.Equal(in.Kernel) {
			p.add("extendConfigs aliVersion %q, want kernel %s", c.AliVersion, in.Kernel.Original())
		}
	}
	p.check(resp, "DescribeInstance of "+in.ID+" to report the world's facts")
}
