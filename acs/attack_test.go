package acs_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
)

var flooder = acs.Credentials{AccessKeyID: "LTAI5tFlooder0000001", AccessKeySecret: "flooder-secret"}

// twoKeyVerifier knows creds and flooder, remembers at most capacity nonces,
// and reads the time from *now.
func twoKeyVerifier(now *time.Time, capacity int) *acs.Verifier {
	return acs.NewVerifier(func(id string) (string, bool) {
		switch id {
		case creds.AccessKeyID:
			return creds.AccessKeySecret, true
		case flooder.AccessKeyID:
			return flooder.AccessKeySecret, true
		}
		return "", false
	}, func() time.Time { return *now }, capacity)
}

func code(f *acs.Failure) string {
	if f == nil {
		return "accepted"
	}
	return f.Err.Code
}

// A flood by another key cannot push a valid nonce out, nor shut this key
// out: the flooder's share fails closed (400 Throttling.User), this key's
// requests are still answered, and the captured request stays a replay.
func TestReplayAfterAnotherKeyFloodsTheCache(t *testing.T) {
	for _, scheme := range []string{"v3", "v1"} {
		t.Run(scheme, func(t *testing.T) {
			now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
			v := twoKeyVerifier(&now, 8)
			captured, body := signed(t, scheme, now, "captured-"+scheme, creds)
			replay := captured.Clone(captured.Context())
			if _, f := v.Verify(captured, body); f != nil {
				t.Fatalf("first use: %v", f)
			}
			for i := range 8 {
				r, b := signed(t, scheme, now, fmt.Sprint("flood-", i), flooder)
				if _, f := v.Verify(r, b); f != nil {
					t.Fatalf("flood %d: %v", i, f)
				}
			}
			r, b := signed(t, scheme, now, "one-more", flooder)
			if got := code(second(v.Verify(r, b))); got != "Throttling.User" {
				t.Errorf("a new nonce into the flooder's full share: %s, want Throttling.User", got)
			}
			r, b = signed(t, scheme, now, "during-the-flood", creds)
			if got := code(second(v.Verify(r, b))); got != "accepted" {
				t.Errorf("this key's new request during another key's flood: %s, want accepted", got)
			}
			now = now.Add(14 * time.Minute)
			if got := code(second(v.Verify(replay, body))); got != "SignatureNonceUsed" {
				t.Errorf("the captured request replayed after the flood: %s, want SignatureNonceUsed", got)
			}
			now = now.Add(2 * time.Minute) // every nonce's date has left the window
			r, b = signed(t, scheme, now, "after-expiry", creds)
			if got := code(second(v.Verify(r, b))); got != "accepted" {
				t.Errorf("once the nonces expired, a new request: %s", got)
			}
		})
	}
}

func second(_ string, f *acs.Failure) *acs.Failure { return f }

// A nonce is remembered until its request's date leaves the window, not
// 15 minutes after it arrived: a request dated 14 minutes ahead stays
// valid for 29 minutes.
func TestANonceLivesAsLongAsItsDate(t *testing.T) {
	for _, scheme := range []string{"v3", "v1"} {
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		v := twoKeyVerifier(&now, 100)
		ahead := now.Add(14 * time.Minute)
		r, body := signed(t, scheme, ahead, "ahead-"+scheme, creds)
		replay := r.Clone(r.Context())
		if _, f := v.Verify(r, body); f != nil {
			t.Fatalf("%s: %v", scheme, f)
		}
		now = now.Add(20 * time.Minute)
		if got := code(second(v.Verify(replay, body))); got != "SignatureNonceUsed" {
			t.Errorf("%s: replayed 20 minutes later, its date 6 minutes old: %s, want SignatureNonceUsed", scheme, got)
		}
	}
}

func TestANonceLongerThanTheSDKsSendIsRefused(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, scheme := range []string{"v3", "v1"} {
		v := twoKeyVerifier(&now, 100)
		r, b := signed(t, scheme, now, strings.Repeat("n", acs.MaxNonceLength), creds)
		if f := second(v.Verify(r, b)); f != nil {
			t.Errorf("%s: a %d-character nonce: %v", scheme, acs.MaxNonceLength, f)
		}
		r, b = signed(t, scheme, now, strings.Repeat("n", acs.MaxNonceLength+1), creds)
		if got := code(second(v.Verify(r, b))); got != "InvalidParameter.SignatureNonce" {
			t.Errorf("%s: a %d-character nonce: %s", scheme, acs.MaxNonceLength+1, got)
		}
		if f := second(v.Verify(r, b)); f != nil && f.Err.Status != 400 {
			t.Errorf("%s: status %d", scheme, f.Err.Status)
		}
	}
}

// roaRequest is a ROA 1.0 request with exactly the headers given, signed in
// form (or carrying sig when set).
func roaRequest(t *testing.T, method, target string, body []byte, headers map[string]string, form acs.V1Form, c acs.Credentials) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	sts := acs.StringToSignV1(method, r.Header, r.URL.Path, r.URL.Query(), form)
	r.Header.Set("Authorization", "acs "+c.AccessKeyID+":"+acs.SignatureV1(c.AccessKeySecret, sts))
	return r
}

// Each attack takes a request that verifies and changes it without the
// secret: every one must be refused.
func TestNoHeaderMoveOrBodySwapVerifiesInROA1(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	date := now.Format(acs.DateFormatV1)
	body := []byte(`{"repoPath":"es-cn-mine"}`)
	evil := []byte(`{"repoPath":"es-cn-evil"}`)
	target := "http://127.0.0.1:9280/openapi/instances/es-cn-dst/snapshot-repos"
	base := map[string]string{"Content-MD5": acs.ContentMD5(body), "Content-Type": "application/json", "Date": date, "x-acs-action": "AddSnapshotRepo"}
	// Signed as the classic Go SDK writes a request whose Accept is empty.
	original := roaRequest(t, "POST", target, body, base, acs.V1Form{OmitEmptyHeaders: true}, creds)
	if _, f := twoKeyVerifier(&now, 100).Verify(original, body); f != nil {
		t.Fatalf("the original, in the classic SDK's form: %v", f)
	}
	auth := original.Header.Get("Authorization")
	attacks := []struct {
		name    string
		body    []byte
		headers map[string]string
	}{
		{"Content-MD5 moved into Accept, body swapped", evil,
			map[string]string{"Accept": base["Content-MD5"], "Content-Type": "application/json", "Date": date, "x-acs-action": "AddSnapshotRepo"}},
		{"Content-Type moved into Accept", body,
			map[string]string{"Accept": "application/json", "Content-MD5": base["Content-MD5"], "Date": date, "x-acs-action": "AddSnapshotRepo"}},
		{"Content-MD5 dropped, body swapped", evil,
			map[string]string{"Content-Type": "application/json", "Date": date, "x-acs-action": "AddSnapshotRepo"}},
		{"x-acs header added", body,
			map[string]string{"Content-MD5": base["Content-MD5"], "Content-Type": "application/json", "Date": date, "x-acs-action": "AddSnapshotRepo", "x-acs-extra": "1"}},
		{"x-acs header dropped", body,
			map[string]string{"Content-MD5": base["Content-MD5"], "Content-Type": "application/json", "Date": date}},
		{"Content-Type changed", body,
			map[string]string{"Content-MD5": base["Content-MD5"], "Content-Type": "application/x-www-form-urlencoded", "Date": date, "x-acs-action": "AddSnapshotRepo"}},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", target, bytes.NewReader(a.body))
			for k, v := range a.headers {
				r.Header.Set(k, v)
			}
			r.Header.Set("Authorization", auth)
			if got := code(second(twoKeyVerifier(&now, 100).Verify(r, a.body))); got == "accepted" {
				t.Errorf("accepted")
			}
		})
	}
	t.Run("a header sent twice", func(t *testing.T) {
		r := roaRequest(t, "POST", target, body, base, acs.V1Form{}, creds)
		r.Header.Add("Date", now.Add(time.Minute).Format(acs.DateFormatV1))
		if got := code(second(twoKeyVerifier(&now, 100).Verify(r, body))); got != "IncompleteSignature" {
			t.Errorf("got %s, want IncompleteSignature", got)
		}
	})
	// With Content-Type missing the two header forms differ: neither may
	// then accept a signature it did not compute.
	t.Run("a wrong signature where the forms differ", func(t *testing.T) {
		h := map[string]string{"Content-MD5": base["Content-MD5"], "Date": date, "x-acs-action": "AddSnapshotRepo"}
		for _, form := range []acs.V1Form{{}, {OmitEmptyHeaders: true}} {
			r := roaRequest(t, "POST", target, body, h, form, acs.Credentials{AccessKeyID: creds.AccessKeyID, AccessKeySecret: "wrong"})
			if got := code(second(twoKeyVerifier(&now, 100).Verify(r, body))); got != "SignatureDoesNotMatch" {
				t.Errorf("form %+v: %s, want SignatureDoesNotMatch", form, got)
			}
			r = roaRequest(t, "POST", target, body, h, form, creds)
			if got := code(second(twoKeyVerifier(&now, 100).Verify(r, body))); got != "accepted" {
				t.Errorf("form %+v signed right: %s", form, got)
			}
		}
	})
	t.Run("the classic form without Content-MD5 is not accepted", func(t *testing.T) {
		h := map[string]string{"Content-Type": "application/json", "Date": date, "x-acs-action": "AddSnapshotRepo"}
		r := roaRequest(t, "POST", target, body, h, acs.V1Form{OmitEmptyHeaders: true}, creds)
		if got := code(second(twoKeyVerifier(&now, 100).Verify(r, body))); got != "SignatureDoesNotMatch" {
			t.Errorf("got %s", got)
		}
	})
}

// Empty query values: the Go SDKs write "key", the Node SDKs "key=", both
// verify; a query or path that would let two requests share a string does not.
func TestROA1QueryForms(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	h := map[string]string{"Accept": "application/json", "Date": now.Format(acs.DateFormatV1), "x-acs-action": "ListInstance"}
	for _, tt := range []struct {
		name, target string
		form         acs.V1Form
		want         string
	}{
		{"Go form of an empty value", "/openapi/instances?description=&page=1", acs.V1Form{}, "accepted"},
		{"Node form of an empty value", "/openapi/instances?description=&page=1", acs.V1Form{EmptyValueEquals: true}, "accepted"},
		{"Node form, classic header form", "/openapi/instances?description=&page=1", acs.V1Form{EmptyValueEquals: true, OmitEmptyHeaders: true}, "SignatureDoesNotMatch"},
		{"a value holding & and =", "/openapi/instances?description=" + url.QueryEscape("x&y=") + "&page=1", acs.V1Form{}, "IncompleteSignature"},
		{"a value holding =, Go form", "/openapi/instances?description=" + url.QueryEscape("=x=y=") + "&page=1", acs.V1Form{}, "accepted"},
		{"a value holding =, Node form", "/openapi/instances?description=" + url.QueryEscape("x=") + "&page=", acs.V1Form{EmptyValueEquals: true}, "accepted"},
		{"a name holding =", "/openapi/instances?" + url.QueryEscape("page=1") + "=&size=2", acs.V1Form{}, "IncompleteSignature"},
		{"a parameter given twice", "/openapi/instances?page=1&page=2", acs.V1Form{}, "IncompleteSignature"},
		{"a path holding ?", "/openapi/instances/es-cn-a%3Fx=1/snapshot-repos", acs.V1Form{}, "IncompleteSignature"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := roaRequest(t, "GET", "http://127.0.0.1:9280"+tt.target, nil, h, tt.form, creds)
			if got := code(second(twoKeyVerifier(&now, 100).Verify(r, nil))); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// A parameter added under a name already signed would ride along unsigned:
// refused in both schemes.
func TestAQueryParameterGivenTwiceIsRefused(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, scheme := range []string{"v1", "v3"} {
		r, body := signed(t, scheme, now, "n-"+scheme, creds)
		r.URL.RawQuery = "ClientToken=t1"
		if scheme == "v1" {
			acs.SignV1(r, body, creds, now)
		} else {
			acs.SignV3(r, body, creds, now, "n-"+scheme)
		}
		if f := second(twoKeyVerifier(&now, 100).Verify(r, body)); f != nil {
			t.Fatalf("%s, signed with one ClientToken: %v", scheme, f)
		}
		r.URL.RawQuery += "&ClientToken=t2"
		f := second(twoKeyVerifier(&now, 100).Verify(r, body))
		if f == nil || f.Err.Code != "IncompleteSignature" || !strings.Contains(f.Err.Message, `"ClientToken" is sent more than once`) {
			t.Errorf("%s, a second ClientToken appended: %v, want IncompleteSignature naming it", scheme, f)
		}
	}
}

func TestNoHeaderMoveOrBodySwapVerifiesInV3(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		edit func(r *http.Request) []byte
		want string
	}{
		{"Content-Type left out of SignedHeaders", func(r *http.Request) []byte {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", strings.Replace(a, "content-type;", "", 1))
			return nil
		}, "IncompleteSignature"},
		{"Content-Type changed", func(r *http.Request) []byte {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return nil
		}, "SignatureDoesNotMatch"},
		{"a signed header dropped", func(r *http.Request) []byte { r.Header.Del("x-acs-action"); return nil }, "SignatureDoesNotMatch"},
		{"x-acs-date sent twice", func(r *http.Request) []byte {
			r.Header.Add(acs.HeaderAcsDate, now.Add(time.Minute).Format(acs.DateFormatV3))
			return nil
		}, "IncompleteSignature"},
		{"Authorization sent twice", func(r *http.Request) []byte { r.Header.Add("Authorization", "acs x:y"); return nil }, "IncompleteSignature"},
		{"body swapped, hash kept", func(*http.Request) []byte { return []byte(`{"repoPath":"es-cn-evil"}`) }, "InvalidParameter.ContentSha256"},
		{"body and hash swapped", func(r *http.Request) []byte {
			b := []byte(`{"repoPath":"es-cn-evil"}`)
			r.Header.Set(acs.HeaderContentSHA256, acs.HashHex(b))
			return b
		}, "SignatureDoesNotMatch"},
		{"value moved between two signed headers", func(r *http.Request) []byte {
			r.Header.Set("x-acs-action", r.Header.Get("x-acs-version"))
			return nil
		}, "SignatureDoesNotMatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := signed(t, "v3", now, "n-"+tt.name, creds)
			r.Header.Set("x-acs-version", "2017-06-13")
			acs.SignV3(r, body, creds, now, "n-"+tt.name)
			if b := tt.edit(r); b != nil {
				body = b
			}
			if got := code(second(twoKeyVerifier(&now, 100).Verify(r, body))); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAMalformedAuthorizationIsIncomplete(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, auth := range []string{
		"acs " + creds.AccessKeyID, "acs :c2ln", "acs " + creds.AccessKeyID + ":",
		"ACS3-HMAC-SHA256 SignedHeaders=host,Signature=ab",
		"ACS3-HMAC-SHA256 Credential=" + creds.AccessKeyID + ",Signature=ab",
		"ACS3-HMAC-SHA256 Credential=" + creds.AccessKeyID + ",SignedHeaders=host",
	} {
		r, body := signed(t, "v3", now, "n", creds)
		r.Header.Set("Authorization", auth)
		if got := code(second(twoKeyVerifier(&now, 100).Verify(r, body))); got != "IncompleteSignature" {
			t.Errorf("Authorization %q: %s, want IncompleteSignature", auth, got)
		}
	}
}

// A part of the Authorization given twice is refused, whichever value comes
// first: whoever reads the header first may have taken the other one.
func TestARepeatedAuthorizationPartIsAmbiguous(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, part := range []string{"Credential=" + flooder.AccessKeyID, "SignedHeaders=host", "Signature=ab"} {
		for _, first := range []bool{true, false} {
			r, body := signed(t, "v3", now, "n", creds)
			scheme, rest, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			if first {
				rest = part + "," + rest
			} else {
				rest += "," + part
			}
			r.Header.Set("Authorization", scheme+" "+rest)
			f := second(twoKeyVerifier(&now, 100).Verify(r, body))
			name, _, _ := strings.Cut(part, "=")
			if f == nil || f.Err.Code != "IncompleteSignature" || !strings.Contains(f.Err.Message, name+"= more than once") {
				t.Errorf("%s given twice (the extra one first: %v): %v, want IncompleteSignature naming %s", name, first, f, name)
			}
		}
	}
	r, body := signed(t, "v3", now, "n", creds)
	if f := second(twoKeyVerifier(&now, 100).Verify(r, body)); f != nil {
		t.Fatalf("the untouched request: %v", f)
	}
}

func TestAV3AuthorizationWithoutSignatureIsIncomplete(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	r, body := signed(t, "v3", now, "n", creds)
	auth, _, _ := strings.Cut(r.Header.Get("Authorization"), ",Signature=")
	r.Header.Set("Authorization", auth)
	if got := code(second(twoKeyVerifier(&now, 100).Verify(r, body))); got != "IncompleteSignature" {
		t.Errorf("%q: %s, want IncompleteSignature", auth, got)
	}
}

func TestSignersSetWhatTheSDKsSet(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	sts := acs.Credentials{AccessKeyID: creds.AccessKeyID, AccessKeySecret: creds.AccessKeySecret, SecurityToken: "sts-token"}
	r := httptest.NewRequest("GET", "http://127.0.0.1:9280/openapi/instances", nil)
	acs.SignV1(r, nil, sts, now)
	if r.Header.Get("Accept") != "application/json" || r.Header.Get(acs.HeaderSecurityToken) != "sts-token" || r.Header.Get(acs.HeaderContentMD5) != acs.ContentMD5(nil) {
		t.Errorf("SignV1 headers (the classic SDK sends Content-MD5 on every request): %v", r.Header)
	}
	r = httptest.NewRequest("GET", "http://127.0.0.1:9280/openapi/instances", nil)
	r.Header.Set("Accept", "application/xml")
	acs.SignV1(r, nil, creds, now)
	if r.Header.Get("Accept") != "application/xml" || r.Header.Get(acs.HeaderSecurityToken) != "" {
		t.Errorf("SignV1 overwrote Accept or sent a token without STS: %v", r.Header)
	}
	r = httptest.NewRequest("GET", "http://127.0.0.1:9280/openapi/instances", nil)
	acs.SignV3(r, nil, sts, now, "n")
	if r.Header.Get(acs.HeaderSecurityToken) != "sts-token" || !strings.Contains(r.Header.Get("Authorization"), "x-acs-security-token") {
		t.Errorf("SignV3 with STS: %v", r.Header)
	}
}

// SignV3 signs the Host the request is sent with, not the URL's, when the
// two differ (a request sent through a name the URL does not carry).
func TestSignV3SignsTheHostSent(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	out, _ := http.NewRequest("GET", "http://127.0.0.1:9280/openapi/instances", nil)
	out.Host = "elasticsearch.cn-hangzhou.aliyuncs.com"
	acs.SignV3(out, nil, creds, now, "n-host")
	in := httptest.NewRequest("GET", "http://elasticsearch.cn-hangzhou.aliyuncs.com/openapi/instances", nil)
	in.Header = out.Header.Clone()
	if f := second(twoKeyVerifier(&now, 100).Verify(in, nil)); f != nil {
		t.Errorf("signed for Host %s, verified at that Host: %v", out.Host, f)
	}
}

func TestV3NamesTheFirstUnsignedHeaderAndIgnoresShortOnes(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	r, body := signed(t, "v3", now, "short-1", creds)
	r.Header.Set("Dnt", "1") // a short header no scheme signs
	if f := second(twoKeyVerifier(&now, 100).Verify(r, body)); f != nil {
		t.Errorf("a short unsigned header that is not x-acs-*: %v", f)
	}
	r, body = signed(t, "v3", now, "unsigned-2", creds)
	r.Header.Set("X-Acs-Zeta", "1")
	r.Header.Set("X-Acs-Beta", "1")
	f := second(twoKeyVerifier(&now, 100).Verify(r, body))
	if f == nil || !strings.Contains(f.Err.Message, "x-acs-beta is missing") {
		t.Errorf("two unsigned x-acs headers: %v, want the first by name", f)
	}
	r, body = signed(t, "v3", now, "nohost-3", creds)
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";host;", ";", 1))
	if f := second(twoKeyVerifier(&now, 100).Verify(r, body)); f == nil || !strings.Contains(f.Err.Message, "host is missing") {
		t.Errorf("host left out of SignedHeaders: %v", f)
	}
	r, body = signed(t, "v3", now, "ct-4", creds)
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "content-type;", "", 1))
	r.Header.Set("X-Acs-Zzz", "1")
	if f := second(twoKeyVerifier(&now, 100).Verify(r, body)); f == nil || !strings.Contains(f.Err.Message, "content-type is missing") {
		t.Errorf("content-type and x-acs-zzz unsigned: %v, want content-type first", f)
	}
}

// Nonces expire in the order of their dates, whatever the order they came
// in: the cache forgets exactly those whose window closed.
func TestNoncesExpireInTheOrderOfTheirDates(t *testing.T) {
	c := acs.NewNonceCache(1000)
	start := time.Unix(0, 0)
	expiry := func(i int) time.Time { return start.Add(time.Duration((i*7919)%200+1) * time.Second) }
	for i := range 200 {
		if got := c.Add("K", fmt.Sprint(i), expiry(i), start); got != acs.NonceNew {
			t.Fatalf("nonce %d: %v", i, got)
		}
	}
	for s := 1; s <= 201; s += 10 {
		now := start.Add(time.Duration(s) * time.Second)
		c.Add("probe", fmt.Sprint("p", s), now.Add(time.Hour), now)
		want := 0
		for i := range 200 {
			if expiry(i).After(now) {
				want++
			}
		}
		// The probes stay; the rest is exactly what has not expired.
		if got := c.Len() - (s-1)/10 - 1; got != want {
			t.Fatalf("at %ds: %d nonces remembered, want %d", s, got, want)
		}
		for i := range 200 {
			replayed := c.Add("K", fmt.Sprint(i), expiry(i), now) == acs.NonceSeen
			if replayed != expiry(i).After(now) {
				t.Fatalf("at %ds, nonce %d (expiring %s): seen %v", s, i, expiry(i).Sub(start), replayed)
			}
			if !replayed {
				break // re-adding an expired one changes the count; one check per step is enough
			}
		}
	}
}
