package acs

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// queries are every query of at most two parameters, drawn from names and
// values holding the characters the ROA 1.0 canonical string is built with.
func queries() []url.Values {
	names := []string{"a", "b", "a=b", "a&b", "=a", ""}
	values := []string{"", "=", "b", "b=", "=b", "b=c", "&", "b&a=", "a", "b&a"}
	var out []url.Values
	out = append(out, url.Values{})
	for i, k1 := range names {
		for _, v1 := range values {
			out = append(out, url.Values{k1: {v1}})
			for _, k2 := range names[i+1:] {
				for _, v2 := range values {
					out = append(out, url.Values{k1: {v1}, k2: {v2}})
				}
			}
		}
	}
	return out
}

// Every ROA 1.0 query the verifier accepts has a canonical string no other
// accepted query has, in either empty-value form: one signature stands for
// one request. And what it refuses is refused for a reason: among the
// refused queries, some do share a string with another query.
func TestNoTwoAcceptedROA1QueriesShareAString(t *testing.T) {
	h := http.Header{"Date": {"Thu, 26 Nov 2026 10:00:00 GMT"}}
	forms := []V1Form{{}, {EmptyValueEquals: true}}
	accepted := map[string]string{} // string to sign → the query that gave it
	var refused []url.Values
	for _, q := range queries() {
		if unambiguousV1("/openapi/instances", q) != nil {
			refused = append(refused, q)
			continue
		}
		for _, f := range forms {
			s := StringToSignV1("GET", h, "/openapi/instances", q, f)
			if other, seen := accepted[s]; seen && other != q.Encode() {
				t.Errorf("queries %s and %s are both accepted and share the string %q", other, q.Encode(), s)
			}
			accepted[s] = q.Encode()
		}
	}
	if len(accepted) < 100 || len(refused) < 100 {
		t.Fatalf("%d strings accepted, %d queries refused: the set is too small to tell", len(accepted), len(refused))
	}
	// Refused for a reason: without the refusals, these would collide.
	all := map[string]string{}
	collisions := 0
	for _, q := range queries() {
		for _, f := range forms {
			s := StringToSignV1("GET", h, "/openapi/instances", q, f)
			if other, seen := all[s]; seen && other != q.Encode() {
				collisions++
			}
			all[s] = q.Encode()
		}
	}
	if collisions == 0 {
		t.Errorf("no two queries of the set share a string: the refusals are not needed, or the set cannot show it")
	}
	// A value holding '=' is accepted: it has one reading.
	if !slices.ContainsFunc(queries(), func(q url.Values) bool {
		return strings.Contains(q.Get("a"), "=") && unambiguousV1("/openapi/instances", q) == nil
	}) {
		t.Errorf("no query with '=' in a value is accepted")
	}
}
