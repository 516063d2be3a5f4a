package recording

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/apierror"
	"github.com/snaprepo/conform/server"
	"github.com/snaprepo/conform/world"
)

const (
	dest     = "es-cn-cf710dest0000001"
	src      = "es-cn-cf74src00000001"
	newer    = "es-cn-cf7101src0000001"
	inactive = "es-cn-cfinactive0000001"
)

func builtin(t *testing.T) *world.World {
	t.Helper()
	w, err := world.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// session records a few exchanges through a proxy in front of upstream,
// signed with ROA 1.0 and ACS3 by the world's own key, and returns the
// cassette's path.
func session(t *testing.T, upstream http.Handler, sig apiclient.Signature) string {
	t.Helper()
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	file := filepath.Join(t.TempDir(), "session.yaml")
	p, err := NewProxy(up.URL, file, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	w := builtin(t)
	key := w.Accounts[0].AccessKeys[0]
	creds := acs.Credentials{AccessKeyID: key.ID, AccessKeySecret: key.Secret}
	p.Resign(creds)
	proxy := httptest.NewServer(p)
	t.Cleanup(proxy.Close)
	c := apiclient.New(proxy.URL, creds, sig, 5*time.Second)
	for _, r := range []*apiclient.Request{
		apiclient.AddForm(dest, src), apiclient.List(dest), apiclient.AddForm(dest, newer),
		apiclient.AddForm(dest, inactive), apiclient.Alternatives(dest, true), apiclient.Delete(dest, src),
		apiclient.Describe(dest), apiclient.AddForm("es-cn-nosuchinstance001", src),
	} {
		if _, err := c.Do(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if p.Recorded() != 8 {
		t.Fatalf("recorded %d exchanges of 8", p.Recorded())
	}
	return file
}

func reference(t *testing.T) http.Handler {
	t.Helper()
	srv, err := server.New(server.Options{World: builtin(t)})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// Nothing secret reaches the file: the signature, the AccessKey ID and the
// secret are nowhere in it; the key is named by its mask.
func TestARecordingHoldsNoSecret(t *testing.T) {
	w := builtin(t)
	key := w.Accounts[0].AccessKeys[0]
	for _, sig := range []apiclient.Signature{apiclient.SignV1, apiclient.SignV3} {
		file := session(t, reference(t), sig)
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{key.ID, key.Secret} {
			if strings.Contains(string(data), secret) {
				t.Errorf("%s: the cassette holds %q", sig, secret)
			}
		}
		if !strings.Contains(string(data), MaskedKeyID(key.ID)) || !strings.Contains(string(data), "version: 2") {
			t.Errorf("%s: the cassette does not name the key by its mask, or is not go-vcr's format:\n%.600s", sig, data)
		}
		if st, _ := os.Stat(file); st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: the cassette is readable by others: %v", sig, st.Mode())
		}
		c, err := Load(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range c.Interactions {
			auth := i.Request.Headers.Get("Authorization")
			if !strings.Contains(auth, Masked) || strings.Contains(auth, key.ID) {
				t.Errorf("%s: Authorization recorded as %q", sig, auth)
			}
		}
	}
}

func TestMaskReachesEveryPlace(t *testing.T) {
	c := session(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A hostile upstream that echoes what it was sent.
		w.Header().Set("X-Echo", r.Header.Get("Authorization")+" "+r.Header.Get("X-Acs-Security-Token"))
		w.Write([]byte(`{"RequestId":"x","Result":true,"echo":"` + r.Header.Get("Authorization") + r.URL.RawQuery + `"}`))
	}), apiclient.SignV1)
	data, _ := os.ReadFile(c)
	key := builtin(t).Accounts[0].AccessKeys[0].ID
	if strings.Contains(string(data), key) {
		t.Errorf("an echoed AccessKey ID reached the cassette")
	}
}

// Held against the reference server itself (which checks signatures),
// every decision agrees: ROA 1.0 passes the proxy as it is, ACS3 is
// re-signed for the upstream's host.
func TestTheReferenceAgreesWithItself(t *testing.T) {
	for _, sig := range []apiclient.Signature{apiclient.SignV1, apiclient.SignV3} {
		file := session(t, reference(t), sig)
		c, err := Load(file)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Verify(c, builtin(t), "")
		if err != nil {
			t.Fatal(err)
		}
		if res.Disagrees() || res.Compared != 8 || len(res.Skipped) != 0 {
			t.Errorf("%s: compared %d, skipped %+v, findings %+v", sig, res.Compared, res.Skipped, res.Findings)
		}
	}
}

// An implementation that refuses an inactive source (the rules do not) is
// caught: the decision differs, the pair and conform's rule are named.
func TestADifferentDecisionIsFoundAndNamed(t *testing.T) {
	ref := reference(t)
	divergent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if strings.Contains(string(body), inactive) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(400)
				w.Write([]byte(`{"RequestId":"R","Code":"` + apierror.InstanceNotActive.Code + `","Message":"source inactive"}`))
				return
			}
		}
		ref.ServeHTTP(w, r)
	})
	file := session(t, divergent, apiclient.SignV1)
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(c, builtin(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Disagrees() || len(res.Findings) != 1 {
		t.Fatalf("findings %+v", res.Findings)
	}
	f := res.Findings[0]
	if !f.Decision || f.Operation != "AddSnapshotRepo" || f.Destination != dest || f.Source != inactive ||
		!strings.HasPrefix(f.Recorded, "refused 400 InstanceStatusNotSupportCurrentAction") || f.Conform != "accepted" || f.Rule != "every rule passes" {
		t.Errorf("finding %+v", f)
	}
}

// A documented code that differs is a decision; an undocumented one is
// information.
func TestOnlyDocumentedCodesAreDecisions(t *testing.T) {
	ref := reference(t)
	renamed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		ref.ServeHTTP(rec, r)
		body := strings.NewReplacer(apierror.VersionIncompatible.Code, "Other.Version", apierror.InstanceNotFound.Code, "NoSuchInstance").Replace(rec.Body.String())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write([]byte(body))
	})
	c, err := Load(session(t, renamed, apiclient.SignV1))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(c, builtin(t), "")
	if err != nil {
		t.Fatal(err)
	}
	var decisions, info []string
	for _, f := range res.Findings {
		if f.Decision {
			decisions = append(decisions, f.Recorded)
		} else {
			info = append(info, f.Recorded)
		}
	}
	if len(decisions) != 1 || !strings.Contains(decisions[0], "NoSuchInstance") || len(info) != 1 || !strings.Contains(info[0], "Other.Version") {
		t.Errorf("decisions %v, information %v", decisions, info)
	}
}

// A cassette that is not a file, too large, or nested without end is
// refused at once with the file named.
func TestAHostileCassetteIsRefused(t *testing.T) {
	dir := t.TempDir()
	deep := filepath.Join(dir, "deep.yaml")
	os.WriteFile(deep, []byte("version: 2\ninteractions: "+strings.Repeat("[", 100_000)), 0o600)
	if _, err := Load(deep); err == nil || !strings.Contains(err.Error(), "deep.yaml") || !strings.Contains(err.Error(), "nested deeper than 64") {
		t.Errorf("deep: %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "a directory") {
		t.Errorf("directory: %v", err)
	}
	if _, err := Load("/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file") && !strings.Contains(err.Error(), "a device") {
		t.Errorf("/dev/zero: %v", err)
	}
}
