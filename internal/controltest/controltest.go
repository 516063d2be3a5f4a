// Package controltest is a test helper, as httptest is: it calls the
// control API of conform serve (docs/testing.md) over HTTP, as a team's CI
// in any language does, and decodes the JSON answer.
package controltest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Call sends method to control+path (control is the control API's root,
// the server's URL and its prefix) with body and Authorization: Bearer token
// (none when token is empty), and returns the status and the decoded
// answer. An answer that is not one JSON object fails the test.
func Call(t testing.TB, control, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, control+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s %s: not one JSON object: %s", method, path, data)
	}
	return resp.StatusCode, out
}
