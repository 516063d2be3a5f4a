package acs_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/openapi-util/service"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/elasticsearch"

	"github.com/snaprepo/conform/acs"
)

var creds = acs.Credentials{AccessKeyID: "LTAI5tExample", AccessKeySecret: "example-secret"}

// The classic SDK signs a real request to a capturing server; our string to
// sign over what arrived must give its signature, byte for byte.
func TestV1MatchesTheClassicSDK(t *testing.T) {
	var got *http.Request
	var body []byte
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"RequestId":"X","Result":true}`))
	}))
	defer ts.Close()
	c, err := elasticsearch.NewClientWithAccessKey("cn-hangzhou", creds.AccessKeyID, creds.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(ts.URL)
	for _, req := range []interface {
		SetDomain(string)
		SetScheme(string)
	}{
		func() *elasticsearch.AddSnapshotRepoRequest {
			r := elasticsearch.CreateAddSnapshotRepoRequest()
			r.InstanceId, r.Body, r.Port = "es-cn-dst", `{"repoPath":"es-cn-src"}`, u.Port()
			return r
		}(),
		func() *elasticsearch.DeleteSnapshotRepoRequest {
			r := elasticsearch.CreateDeleteSnapshotRepoRequest()
			r.InstanceId, r.RepoPath, r.ClientToken, r.Port = "es-cn-dst", "es-cn-src", "tok en*~", u.Port()
			return r
		}(),
	} {
		req.SetScheme("http")
		req.SetDomain(u.Hostname())
		switch r := req.(type) {
		case *elasticsearch.AddSnapshotRepoRequest:
			_, err = c.AddSnapshotRepo(r)
		case *elasticsearch.DeleteSnapshotRepoRequest:
			_, err = c.DeleteSnapshotRepo(r)
		}
		if err != nil {
			t.Fatal(err)
		}
		sts := acs.StringToSignV1(got.Method, got.Header, got.URL.Path, got.URL.Query(), acs.V1Form{})
		want := got.Header.Get("Authorization")
		if mine := "acs " + creds.AccessKeyID + ":" + acs.SignatureV1(creds.AccessKeySecret, sts); mine != want {
			t.Errorf("%s %s: ours %q, SDK %q\nstring to sign:\n%s", got.Method, got.URL, mine, want, sts)
		}
		if md5 := got.Header.Get("Content-MD5"); md5 != acs.ContentMD5(body) {
			t.Errorf("Content-MD5 %q, body %q", md5, body)
		}
	}
}

// darabonba's ROA string to sign (empty lines for missing headers) equals ours.
func TestV1MatchesDarabonbaStringToSign(t *testing.T) {
	h := http.Header{}
	h.Set("Accept", "application/json")
	h.Set("Date", "Thu, 26 Nov 2026 10:00:00 GMT")
	h.Set("x-acs-signature-nonce", "abc")
	h.Set("x-acs-version", "2017-06-13")
	treq := tea.NewRequest()
	treq.Method = tea.String("DELETE")
	treq.Pathname = tea.String("/openapi/instances/es-cn-dst/snapshot-repos")
	treq.Query = map[string]*string{"repoPath": tea.String("es-cn-src"), "flag": tea.String("")}
	treq.Headers = map[string]*string{"accept": tea.String("application/json"), "date": tea.String("Thu, 26 Nov 2026 10:00:00 GMT"),
		"x-acs-signature-nonce": tea.String("abc"), "x-acs-version": tea.String("2017-06-13")}
	want := tea.StringValue(openapiutil.GetStringToSign(treq))
	got := acs.StringToSignV1("DELETE", h, "/openapi/instances/es-cn-dst/snapshot-repos", url.Values{"repoPath": {"es-cn-src"}, "flag": {""}}, acs.V1Form{})
	if got != want {
		t.Errorf("ours:\n%q\ndarabonba:\n%q", got, want)
	}
}

// Our V3 Authorization equals darabonba-openapi's GetAuthorization on the same request.
func TestV3MatchesDarabonba(t *testing.T) {
	body := []byte(`{"repoPath":"es-cn-src"}`)
	req, _ := http.NewRequest("POST", "http://127.0.0.1:9280/openapi/instances/es-cn-dst/snapshot-repos?b=x%20y&a=*~", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("x-acs-action", "AddSnapshotRepo")
	req.Header.Set("x-acs-version", "2017-06-13")
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	acs.SignV3(req, body, creds, at, "nonce-1")

	treq := tea.NewRequest()
	treq.Method = tea.String("POST")
	treq.Pathname = tea.String("/openapi/instances/es-cn-dst/snapshot-repos")
	treq.Query = map[string]*string{"b": tea.String("x y"), "a": tea.String("*~")}
	treq.Headers = map[string]*string{
		"host":                  tea.String("127.0.0.1:9280"),
		"content-type":          tea.String("application/json; charset=utf-8"),
		"x-acs-action":          tea.String("AddSnapshotRepo"),
		"x-acs-version":         tea.String("2017-06-13"),
		"x-acs-date":            tea.String("2026-11-26T10:00:00Z"),
		"x-acs-signature-nonce": tea.String("nonce-1"),
		"x-acs-content-sha256":  tea.String(acs.HashHex(body)),
		"accept":                tea.String("application/json"),
	}
	want := tea.StringValue(openapiutil.GetAuthorization(treq, tea.String(acs.SchemeV3), tea.String(acs.HashHex(body)), tea.String(creds.AccessKeyID), tea.String(creds.AccessKeySecret)))
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("ours:\n%s\ndarabonba:\n%s", got, want)
	}
}

func verifier(now time.Time) *acs.Verifier {
	return acs.NewVerifier(func(id string) (string, bool) {
		if id == creds.AccessKeyID {
			return creds.AccessKeySecret, true
		}
		return "", false
	}, func() time.Time { return now }, 1000)
}

func signed(t *testing.T, scheme string, at time.Time, nonce string, c acs.Credentials) (*http.Request, []byte) {
	t.Helper()
	body := []byte(`{"repoPath":"es-cn-src"}`)
	req := httptest.NewRequest("POST", "http://127.0.0.1:9280/openapi/instances/es-cn-dst/snapshot-repos", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-acs-action", "AddSnapshotRepo")
	if scheme == "v1" {
		if nonce != "" {
			req.Header.Set(acs.HeaderNonce, nonce)
		}
		acs.SignV1(req, body, c, at)
	} else {
		acs.SignV3(req, body, c, at, nonce)
	}
	return req, body
}

func TestVerifierDecisions(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	wrong := acs.Credentials{AccessKeyID: creds.AccessKeyID, AccessKeySecret: "wrong"}
	unknown := acs.Credentials{AccessKeyID: "LTAI5tNobody", AccessKeySecret: "x"}
	tests := []struct {
		name   string
		scheme string
		at     time.Time
		c      acs.Credentials
		edit   func(*http.Request)
		code   string
	}{
		{"v1 as the classic SDK sends it, no nonce", "v1", now, creds, nil, ""},
		{"v3 as darabonba sends it", "v3", now, creds, nil, ""},
		{"v1 with the wrong secret", "v1", now, wrong, nil, "SignatureDoesNotMatch"},
		{"v3 with the wrong secret", "v3", now, wrong, nil, "SignatureDoesNotMatch"},
		{"v3 unknown key", "v3", now, unknown, nil, "InvalidAccessKeyId.NotFound"},
		{"v1 unknown key", "v1", now, unknown, nil, "InvalidAccessKeyId.NotFound"},
		{"v3 16 minutes old", "v3", now.Add(-16 * time.Minute), creds, nil, "InvalidTimeStamp.Expired"},
		{"v1 16 minutes ahead", "v1", now.Add(16 * time.Minute), creds, nil, "InvalidTimeStamp.Expired"},
		{"v3 14 minutes old is fine", "v3", now.Add(-14 * time.Minute), creds, nil, ""},
		{"no Authorization", "v3", now, creds, func(r *http.Request) { r.Header.Del("Authorization") }, "MissingParameter"},
		{"garbage Authorization", "v3", now, creds, func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") }, "IncompleteSignature"},
		{"v3 body tampered after signing", "v3", now, creds, func(r *http.Request) { r.Header.Set(acs.HeaderContentSHA256, acs.HashHex([]byte("other"))) }, "InvalidParameter.ContentSha256"},
		{"v3 unsigned x-acs header added", "v3", now, creds, func(r *http.Request) { r.Header.Set("x-acs-extra", "1") }, "IncompleteSignature"},
		{"v3 path changed after signing", "v3", now, creds, func(r *http.Request) {
			r.URL.Path = "/openapi/instances/es-cn-other/snapshot-repos"
			r.URL.RawPath = ""
		}, "SignatureDoesNotMatch"},
		{"v1 Content-MD5 of another body", "v1", now, creds, func(r *http.Request) { r.Header.Set("Content-MD5", acs.ContentMD5([]byte("x"))) }, "InvalidParameter.ContentMD5"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, body := signed(t, tt.scheme, tt.at, "nonce-"+string(rune('a'+i)), tt.c)
			if tt.edit != nil {
				tt.edit(req)
			}
			id, f := verifier(now).Verify(req, body)
			switch {
			case tt.code == "" && f != nil:
				t.Errorf("refused: %v", f)
			case tt.code == "" && id != creds.AccessKeyID:
				t.Errorf("key %q", id)
			case tt.code != "" && f == nil:
				t.Errorf("accepted, want %s", tt.code)
			case tt.code != "" && f.Err.Code != tt.code:
				t.Errorf("got %s, want %s (%s)", f.Err.Code, tt.code, f.Err.Message)
			}
		})
	}
}

func TestVerifierRefusesAReusedNonce(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	v := verifier(now)
	for _, scheme := range []string{"v3", "v1"} {
		req, body := signed(t, scheme, now, "same-"+scheme, creds)
		if _, f := v.Verify(req, body); f != nil {
			t.Fatalf("%s first use refused: %v", scheme, f)
		}
		req, body = signed(t, scheme, now, "same-"+scheme, creds)
		if _, f := v.Verify(req, body); f == nil || f.Err.Code != "SignatureNonceUsed" {
			t.Errorf("%s reuse: %v", scheme, f)
		}
	}
}

func TestSignatureDoesNotMatchCarriesTheStringToSign(t *testing.T) {
	now := time.Now()
	req, body := signed(t, "v1", now, "", acs.Credentials{AccessKeyID: creds.AccessKeyID, AccessKeySecret: "wrong"})
	_, f := verifier(now).Verify(req, body)
	_, serverSTS, ok := strings.Cut(f.Err.Message, "server string to sign is:")
	if !ok || serverSTS != acs.StringToSignV1("POST", req.Header, req.URL.Path, req.URL.Query(), acs.V1Form{}) {
		t.Errorf("message %q", f.Err.Message)
	}
}

func TestNonceCacheFailsClosedAndForgetsOnlyExpiredNonces(t *testing.T) {
	c := acs.NewNonceCache(100)
	at := time.Unix(0, 0)
	for i := range 100 {
		if got := c.Add("B", fmt.Sprint("n", i), at.Add(time.Minute), at); got != acs.NonceNew {
			t.Fatalf("nonce %d: %v", i, got)
		}
	}
	if got := c.Add("B", "x", at.Add(time.Minute), at); got != acs.NonceCacheFull {
		t.Errorf("a key's full share of valid nonces took one more: %v", got)
	}
	if c.Len() != 100 {
		t.Errorf("%d nonces kept, capacity 100", c.Len())
	}
	// One key's flood never refuses another key: the capacity is per key.
	if got := c.Add("A", "a0", at.Add(time.Minute), at); got != acs.NonceNew {
		t.Errorf("B's full share refused A's nonce: %v", got)
	}
	if got := c.Add("B", "n0", at.Add(time.Minute), at.Add(30*time.Second)); got != acs.NonceSeen {
		t.Errorf("a replay within its window: %v, want NonceSeen", got)
	}
	if got := c.Add("A", "n0", at.Add(2*time.Minute), at.Add(time.Minute)); got != acs.NonceNew {
		t.Errorf("after every nonce expired, another key's n0: %v, want NonceNew", got)
	}
	for i := range 99 { // B's share is free again once its nonces expired
		if got := c.Add("B", fmt.Sprint("m", i), at.Add(3*time.Minute), at.Add(time.Minute)); got != acs.NonceNew {
			t.Fatalf("B's nonce %d after its share expired: %v", i, got)
		}
	}
	if c.Len() != 100 {
		t.Errorf("expired nonces kept: %d", c.Len())
	}
	if got := c.Add("B", "n0", at.Add(3*time.Minute), at.Add(time.Minute)); got != acs.NonceNew {
		t.Errorf("nonces are per AccessKey: B's n0 after expiry: %v", got)
	}
}

func TestMaskKeyIDHidesTheMiddle(t *testing.T) {
	for id, want := range map[string]string{"LTAI5tConformPrimary01": "LTAI5t…01", "LTAI5tAB01": "LTAI5t…01", "short": "…", "": "…"} {
		if got := acs.MaskKeyID(id); got != want {
			t.Errorf("MaskKeyID(%q) = %q, want %q", id, got, want)
		}
	}
}

func TestDescribeAuthorizationNamesSchemeAndMaskedKeyOnly(t *testing.T) {
	tests := map[string]string{
		"ACS3-HMAC-SHA256 Credential=LTAI5tConformPrimary01,SignedHeaders=host;x-acs-date,Signature=abcdef": "ACS3-HMAC-SHA256, key LTAI5t…01",
		"ACS3-HMAC-SHA256 SignedHeaders=host":     "ACS3-HMAC-SHA256, no Credential",
		"acs LTAI5tConformPrimary01:c2lnbmF0dXJl": "acs (ROA 1.0), key LTAI5t…01",
		"Bearer xyz": "an unknown scheme (10 bytes)",
	}
	for h, want := range tests {
		got := acs.DescribeAuthorization(h)
		if got != want {
			t.Errorf("DescribeAuthorization(%q) = %q, want %q", h, got, want)
		}
		if strings.Contains(got, "abcdef") || strings.Contains(got, "c2lnbmF0dXJl") || strings.Contains(got, "ConformPrimary") {
			t.Errorf("DescribeAuthorization(%q) = %q shows a secret part", h, got)
		}
	}
}

// A key's share frees exactly as many places as its nonces expire: of two
// remembered, one expired leaves room for one more, not two.
func TestAKeysShareFreesWhatExpired(t *testing.T) {
	c := acs.NewNonceCache(2)
	at := time.Unix(0, 0)
	c.Add("K", "early", at.Add(time.Second), at)
	c.Add("K", "late", at.Add(time.Minute), at)
	later := at.Add(2 * time.Second)
	if got := c.Add("K", "third", at.Add(time.Minute), later); got != acs.NonceNew {
		t.Fatalf("after one of two expired: %v, want NonceNew", got)
	}
	if got := c.Add("K", "fourth", at.Add(time.Minute), later); got != acs.NonceCacheFull {
		t.Errorf("two unexpired nonces of capacity 2, and one more: %v, want NonceCacheFull", got)
	}
}
