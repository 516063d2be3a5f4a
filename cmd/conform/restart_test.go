package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// A conform serve with --data-dir, restarted in the middle of a run: the
// repositories survive the restart and the suite, STATE-MODEL's sequences
// included, still agrees with the model. (A restart forgets the nonces it
// remembered, so AUTH-REPLAY, which reuses one across two requests, is left
// out of this run.)
func TestARunSurvivesARestartOfServeWithADataDir(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	backend := startServe(t, "--log-level", "error", "--data-dir", dir)
	requests, restarts := 0, 0
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		if requests == 120 {
			// Restart between two requests: stop cleanly, start again on the
			// same directory.
			backend.stop(t)
			backend = startServe(t, "--log-level", "error", "--data-dir", dir)
			restarts++
		}
		target, _ := url.Parse(backend.url)
		mu.Unlock()
		// The Host header stays the proxy's: it is signed.
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	defer proxy.Close()
	code, out, rep := conformRun(t, "--endpoint", proxy.URL, "--label-filter", "!AUTH-REPLAY", "--stateful", "40")
	if code != 0 || len(rep.Failed) != 0 {
		t.Fatalf("exit %d, failed %v:\n%s", code, rep.Failed, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if restarts != 1 || requests <= 120 {
		t.Fatalf("%d restarts after %d requests: the restart did not happen mid-run", restarts, requests)
	}
	if _, err := os.Stat(filepath.Join(dir, "repos.json")); err != nil {
		t.Errorf("no state file: %v", err)
	}
}
