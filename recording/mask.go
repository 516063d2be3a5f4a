package recording

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v4"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// marshalCassette writes a cassette as go-vcr does.
func marshalCassette(v any) ([]byte, error) { return yaml.Marshal(v) }

// Masked is what a secret is replaced with.
const Masked = "****"

// secretHeaders are request headers whose whole value is secret.
var secretHeaders = []string{"X-Acs-Security-Token", "X-Acs-Bearer-Token", "Cookie", "Proxy-Authorization", "X-Conform-Control-Token"}

// secretParams are query and form parameters whose value is secret
// (the RPC style's signature parameters; ROA puts none in the query).
var secretParams = []string{"AccessKeyId", "Signature", "SecurityToken", "BearerToken", "accessKeyId", "signature", "securityToken"}

var (
	roaAuth  = regexp.MustCompile(`^(acs|ACS) ([^:\s]+):(\S+)$`)
	acs3Cred = regexp.MustCompile(`Credential=([^,\s]+)`)
	acs3Sig  = regexp.MustCompile(`Signature=([^,\s]+)`)
)

// MaskedKeyID names an AccessKey ID without giving it away: the same ID
// always masks to the same name, so a cassette still shows which requests
// one key signed.
func MaskedKeyID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "key-" + hex.EncodeToString(sum[:4])
}

// Mask removes every secret from an interaction in place: the signature and
// the AccessKey ID of Authorization (the ID replaced by MaskedKeyID),
// security tokens, secret query and form parameters; and every other
// occurrence of those values in the URL, headers and bodies of both sides.
func Mask(i *cassette.Interaction) {
	replace := map[string]string{}
	h := i.Request.Headers
	if auth := h.Get("Authorization"); auth != "" {
		switch m := roaAuth.FindStringSubmatch(auth); {
		case m != nil:
			replace[m[2]] = MaskedKeyID(m[2])
			replace[m[3]] = Masked
			h.Set("Authorization", m[1]+" "+MaskedKeyID(m[2])+":"+Masked)
		default:
			masked := auth
			if c := acs3Cred.FindStringSubmatch(auth); c != nil {
				replace[c[1]] = MaskedKeyID(c[1])
				masked = strings.Replace(masked, "Credential="+c[1], "Credential="+MaskedKeyID(c[1]), 1)
			}
			if s := acs3Sig.FindStringSubmatch(auth); s != nil {
				replace[s[1]] = Masked
				masked = strings.Replace(masked, "Signature="+s[1], "Signature="+Masked, 1)
			}
			if masked == auth {
				masked = Masked // a scheme this does not know: keep nothing of it
				replace[auth] = Masked
			}
			h.Set("Authorization", masked)
		}
	}
	for _, name := range secretHeaders {
		if v := h.Get(name); v != "" {
			replace[v] = Masked
			h.Set(name, Masked)
		}
	}
	if u, err := url.Parse(i.Request.URL); err == nil {
		q := u.Query()
		changed := false
		for _, name := range secretParams {
			if v := q.Get(name); v != "" {
				replace[v] = Masked
				q.Set(name, Masked)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
			i.Request.URL = u.String()
		}
	}
	for _, name := range secretParams {
		if v := i.Request.Form.Get(name); v != "" {
			replace[v] = Masked
			i.Request.Form.Set(name, Masked)
		}
	}
	// Values too short to be a secret's own are masked where they stood
	// only: replacing them everywhere would rewrite ordinary text.
	for k := range replace {
		if len(k) < 8 {
			delete(replace, k)
		}
	}
	if len(replace) == 0 {
		return
	}
	// Longest first, so that a secret containing another is replaced whole.
	olds := make([]string, 0, len(replace))
	for k := range replace {
		olds = append(olds, k)
	}
	sort.Slice(olds, func(a, b int) bool { return len(olds[a]) > len(olds[b]) })
	pairs := make([]string, 0, 2*len(olds))
	for _, k := range olds {
		pairs = append(pairs, k, replace[k])
	}
	r := strings.NewReplacer(pairs...)
	i.Request.URL = r.Replace(i.Request.URL)
	i.Request.Body = r.Replace(i.Request.Body)
	i.Response.Body = r.Replace(i.Response.Body)
	maskHeaders(i.Request.Headers, r)
	maskHeaders(i.Response.Headers, r)
	for k, vs := range i.Request.Form {
		for j := range vs {
			vs[j] = r.Replace(vs[j])
		}
		i.Request.Form[k] = vs
	}
}

func maskHeaders(h http.Header, r *strings.Replacer) {
	for _, vs := range h {
		for j := range vs {
			vs[j] = r.Replace(vs[j])
		}
	}
}
