package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/internal/wiretest"
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
	s := startServe(t, "--log-level", "warn", "--control-token", "node-test-token")
	cfg, _ := json.Marshal(map[string]string{
		"endpoint": s.url, "keyId": "LTAI5tConformPrimary01", "secret": primarySecret, "control": "node-test-token",
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
	// 3 clients × 12 cases.
	if cases != 36 || err != nil {
		t.Errorf("the Node driver ran %d cases (want 36), exit %v\nstderr: %s\nserver log:\n%s", cases, err, stderr.String(), s.log())
	}
	if strings.Contains(string(out), primarySecret) {
		t.Errorf("the secret appears in the driver's output")
	}
}

func recorder(t *testing.T) *wiretest.Recorder {
	rec := wiretest.NewRecorder(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"Result":true,"RequestId":"C0FFEE00-0000-0000-0000-000000000000"}`))
	})
	t.Cleanup(rec.Close)
	return rec
}

// conform's own Node dialects send what the Node SDKs send: the same
// method, path, query, headers and string to sign, byte for byte once dates
// and nonces are set aside.
func TestConformSpeaksLikeTheNodeSDKs(t *testing.T) {
	node := nodeReady(t)
	nodeTS := recorder(t)
	cfg, _ := json.Marshal(map[string]any{"capture": true, "endpoint": nodeTS.URL, "keyId": "LTAI5tConformPrimary01", "secret": primarySecret,
		"dest": "es-cn-cf710dest0000001", "source": "es-cn-cf74src00000001"})
	cmd := exec.Command(node, "drive.js", string(cfg))
	cmd.Dir = nodeProject
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node capture: %v\n%s", err, out)
	}
	fromNode := nodeTS.Requests()
	ourTS := recorder(t)
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
	ours := ourTS.Requests()
	for i, d := range dialects {
		for j, op := range []string{"AddSnapshotRepo", "DeleteSnapshotRepo with an empty clientToken"} {
			theirs, mine := wiretest.Shape(fromNode[2*i+j], d.form), wiretest.Shape(ours[2*i+j], d.form)
			if theirs != mine {
				t.Errorf("%s, %s: conform's request differs from the SDK's\nSDK:\n%s\nconform:\n%s", apiclient.Dialects()[d.sig], op, theirs, mine)
			}
		}
	}
}
