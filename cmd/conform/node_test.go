package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
)

// nodeProject is the Node project whose script drives conform serve.
const nodeProject = "../../interop/node"

var npmOnce sync.Once
var npmErr error

// nodeReady installs the Node SDKs (npm ci, exact versions from
// package-lock.json) once per test binary, or skips the test when Node is
// missing — unless CONFORM_REQUIRE_NODE is set, as .ci/run sets it: there a
// missing node is a failure.
func nodeReady(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = exec.LookPath("npm")
	}
	if err != nil {
		if os.Getenv("CONFORM_REQUIRE_NODE") != "" {
			t.Fatalf("node and npm are needed but missing (%v), and CONFORM_REQUIRE_NODE is set", err)
		}
		t.Skipf("skipped: node or npm is not installed (%v); the Node SDK interop tests need both", err)
	}
	npmOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(nodeProject, "node_modules", "@alicloud", "elasticsearch20170613")); err == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = nodeProject
		if out, err := cmd.CombinedOutput(); err != nil {
			npmErr = &npmFailure{err: err, out: string(out)}
		}
	})
	if npmErr != nil {
		t.Fatalf("npm ci in interop/node: %v", npmErr)
	}
	return node
}

type npmFailure struct {
	err error
	out string
}

func (f *npmFailure) Error() string { return f.err.Error() + "\n" + f.out }

// Alibaba Cloud's official Node.js SDKs — the generated Elasticsearch client
// in both signature schemes, and pop-core's ROAClient — against a conform
// serve process: success, the documented errors, signature errors, and every
// companion operation parsed into the SDK's models.
func TestNodeSDKs(t *testing.T) {
	node := nodeReady(t)
	s := startServe(t, "--log-level", "warn")
	cfg, _ := json.Marshal(map[string]string{
		"endpoint": s.url, "keyId": "LTAI5tConformPrimary01", "secret": primarySecret,
		"dest": "es-cn-cf710dest0000001", "destVersion": "7.10.0_with_X-Pack", "source": "es-cn-cf74src00000001",
		"activating": "es-cn-cfactivating00001", "missing": "es-cn-conformnodemissing1", "other": "es-cn-cfneighbour000001",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "drive.js", string(cfg))
	cmd.Dir = nodeProject
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	cases := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var c struct {
			Client string `json:"client"`
			Case   string `json:"case"`
			OK     bool   `json:"ok"`
			Detail string `json:"detail"`
		}
		if json.Unmarshal(sc.Bytes(), &c) != nil {
			t.Errorf("not a result line: %s", sc.Text())
			continue
		}
		cases++
		t.Run(c.Client+"/"+c.Case, func(t *testing.T) {
			if !c.OK {
				t.Errorf("%s", c.Detail)
			}
		})
	}
	// 3 clients × 10 cases.
	if cases != 30 || err != nil {
		t.Errorf("the Node driver ran %d cases (want 30), exit %v\nstderr: %s\nserver log:\n%s", cases, err, stderr.String(), s.log())
	}
	if strings.Contains(string(out), primarySecret) {
		t.Errorf("the secret appears in the driver's output")
	}
}

// captured is one request as a recording server saw it.
type captured struct {
	method, host string
	url          *url.URL
	header       http.Header
	body         []byte
}

// recorder is a server that answers success to everything and keeps what it got.
func recorder(t *testing.T) (*httptest.Server, func() []captured) {
	var mu sync.Mutex
	var got []captured
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, captured{method: r.Method, host: r.Host, url: r.URL, header: r.Header.Clone(), body: body})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"Result":true,"RequestId":"C0FFEE00-0000-0000-0000-000000000000"}`))
	}))
	t.Cleanup(ts.Close)
	return ts, func() []captured { mu.Lock(); defer mu.Unlock(); return slices.Clone(got) }
}

// varying are the headers whose values differ on every request: dates,
// nonces (their length is kept), signatures.
var varying = map[string]bool{"Date": true, "X-Acs-Date": true, "X-Acs-Signature-Nonce": true, "Authorization": true}

// transport are the headers no signature covers and no server reads for
// this API: how the body is framed, who the client says it is.
var transport = map[string]bool{"User-Agent": true, "X-Sdk-Client": true, "Content-Length": true, "Connection": true, "Transfer-Encoding": true, "Accept-Encoding": true}

// shape is a request with what varies replaced by placeholders: two
// requests of one dialect have one shape, byte for byte.
func shape(c captured, form acs.V1Form) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s?%s\nhost %s\n", c.method, c.url.EscapedPath(), canonicalQuery(c.url.Query()), regexp.MustCompile(`:\d+$`).ReplaceAllString(c.host, ":PORT"))
	var names []string
	for n := range c.header {
		if !transport[n] {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		v := c.header.Get(n)
		switch {
		case n == acs.HeaderNonce:
			v = "<" + strconv.Itoa(len(v)) + " characters>"
		case varying[n]:
			v = "<varies>"
		}
		fmt.Fprintf(&b, "%s: %s\n", n, v)
	}
	h := c.header.Clone()
	h.Set("Date", "DATE")
	h.Set(acs.HeaderNonce, "NONCE")
	h.Set(acs.HeaderAcsDate, "XDATE")
	auth := c.header.Get("Authorization")
	if strings.HasPrefix(auth, acs.SchemeV3+" ") {
		signed := regexp.MustCompile(`SignedHeaders=([^,]*)`).FindStringSubmatch(auth)
		fmt.Fprintf(&b, "ACS3 SignedHeaders=%s\n", signed[1])
		fmt.Fprintf(&b, "canonical request:\n%s\n", acs.CanonicalRequestV3(c.method, c.url.EscapedPath(), c.url.Query(), h, "HOST", strings.Split(signed[1], ";"), h.Get(acs.HeaderContentSHA256)))
	} else {
		if h.Get("Date") == "" {
			h.Del("Date")
		}
		fmt.Fprintf(&b, "ROA string to sign:\n%s\n", acs.StringToSignV1(c.method, h, c.url.Path, c.url.Query(), form))
	}
	fmt.Fprintf(&b, "body %q\n", c.body)
	return b.String()
}

func canonicalQuery(q url.Values) string { return acs.CanonicalQueryV3(q) }

// conform's own Node dialects send what the Node SDKs send: the same
// method, path, query, headers and string to sign, byte for byte once dates
// and nonces are set aside.
func TestConformSpeaksLikeTheNodeSDKs(t *testing.T) {
	node := nodeReady(t)
	nodeTS, nodeGot := recorder(t)
	cfg, _ := json.Marshal(map[string]any{"capture": true, "endpoint": nodeTS.URL, "keyId": "LTAI5tConformPrimary01", "secret": primarySecret,
		"dest": "es-cn-cf710dest0000001", "source": "es-cn-cf74src00000001"})
	cmd := exec.Command(node, "drive.js", string(cfg))
	cmd.Dir = nodeProject
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node capture: %v\n%s", err, out)
	}
	fromNode := nodeGot()
	ourTS, ourGot := recorder(t)
	dialects := []struct {
		sig  apiclient.Signature
		form acs.V1Form
	}{{apiclient.SignNodeV3, acs.V1Form{}}, {apiclient.SignNodeV2, acs.V1Form{EmptyValueEquals: true}}, {apiclient.SignPopCore, acs.V1Form{EmptyValueEquals: true}}}
	if len(fromNode) != 2*len(dialects) {
		t.Fatalf("the Node SDKs sent %d requests, want %d", len(fromNode), 2*len(dialects))
	}
	c := apiclient.New(ourTS.URL, acs.Credentials{AccessKeyID: "LTAI5tConformPrimary01", AccessKeySecret: primarySecret}, apiclient.SignV3, 5*time.Second)
	for _, d := range dialects {
		add := apiclient.AddJSON("es-cn-cf710dest0000001", "es-cn-cf74src00000001")
		if d.sig == apiclient.SignPopCore {
			add.ContentType = "application/json" // pop-core sends what the caller sets
		}
		del := apiclient.Delete("es-cn-cf710dest0000001", "es-cn-cf74src00000001")
		del.Query.Set("clientToken", "")
		for _, r := range []*apiclient.Request{add, del} {
			if _, err := c.With(c.Credentials, d.sig).Do(context.Background(), r); err != nil {
				t.Fatal(err)
			}
		}
	}
	ours := ourGot()
	for i, d := range dialects {
		for j, op := range []string{"AddSnapshotRepo", "DeleteSnapshotRepo with an empty clientToken"} {
			theirs, mine := shape(fromNode[2*i+j], d.form), shape(ours[2*i+j], d.form)
			if theirs != mine {
				t.Errorf("%s, %s: conform's request differs from the SDK's\nSDK:\n%s\nconform:\n%s", apiclient.Dialects()[d.sig], op, theirs, mine)
			}
		}
	}
}
