package apiclient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
)

func client(url string, timeout time.Duration) *Client {
	c := New(url, acs.Credentials{AccessKeyID: "LTAI5tTest000001", AccessKeySecret: "s"}, SignV3, timeout)
	c.Health = NewHealth(3)
	return c
}

func TestHealthTripsAfterThreeUnansweredRequestsAndResetsOnAnAnswer(t *testing.T) {
	answer := make(chan bool, 10)
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if <-answer {
			w.Write([]byte(`{}`))
			return
		}
		<-release
	}))
	defer ts.Close()
	defer close(release)
	c := client(ts.URL, 200*time.Millisecond)
	ctx := context.Background()
	for _, ok := range []bool{false, false, true, false, false} {
		answer <- ok
		_, err := c.Do(ctx, Describe("x"))
		if (err == nil) != ok {
			t.Fatalf("answered=%v, err %v", ok, err)
		}
	}
	if err := c.Health.Stopped(); err != nil {
		t.Fatalf("stopped after two unanswered requests in a row: %v", err)
	}
	answer <- false
	_, err := c.Do(ctx, Describe("x"))
	var na *NoAnswerError
	if !errors.As(err, &na) || na.Kind != NoAnswerTimeout || !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Fatalf("third unanswered request: %v", err)
	}
	stopped := c.Health.Stopped()
	if !errors.Is(stopped, ErrStopped) || !strings.Contains(stopped.Error(), "after 3 consecutive requests without an answer") {
		t.Fatalf("Stopped() = %v", stopped)
	}
	start := time.Now()
	if _, err := c.With(c.Credentials, SignV1).Do(ctx, Describe("x")); !errors.Is(err, ErrStopped) {
		t.Errorf("a request after the endpoint stopped: %v, want ErrStopped at once", err)
	}
	if time.Since(start) > 100*time.Millisecond {
		t.Errorf("a request after the stop waited %s", time.Since(start))
	}
}

func TestNoAnswerSaysHowTheRequestWentUnanswered(t *testing.T) {
	dropper := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer dropper.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + ln.Addr().String()
	ln.Close()
	for url, want := range map[string]NoAnswer{dropper.URL: NoAnswerDropped, refused: NoAnswerRefused} {
		_, err := client(url, time.Second).Do(context.Background(), Describe("x"))
		var na *NoAnswerError
		if !errors.As(err, &na) || na.Kind != want {
			t.Errorf("%s: %v, want %s", url, err, want)
		}
	}
}

func TestAnswersAreCappedAtMaxResponse(t *testing.T) {
	for _, tt := range []struct {
		size     int
		chunked  bool
		tooLarge bool
	}{{MaxResponse, false, false}, {MaxResponse, true, false}, {MaxResponse + 1, false, true}, {MaxResponse + 1, true, true}, {64 << 20, true, true}} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tt.chunked {
				w.(http.Flusher).Flush()
			}
			io.Copy(w, io.LimitReader(zeros{}, int64(tt.size)))
		}))
		resp, err := client(ts.URL, 5*time.Second).Do(context.Background(), Describe("x"))
		var tl *TooLargeError
		switch {
		case tt.tooLarge && !errors.As(err, &tl):
			t.Errorf("%d bytes (chunked %v): err %v, want TooLargeError", tt.size, tt.chunked, err)
		case !tt.tooLarge && (err != nil || len(resp.Body) != tt.size):
			t.Errorf("%d bytes (chunked %v): err %v", tt.size, tt.chunked, err)
		}
		ts.Close()
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

func TestExchangeTextEscapesTheAnswerAndShowsHowItWasSent(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		w.Write([]byte("{\"Code\":\"x\x1b[2J\"}\x07"))
	}))
	defer ts.Close()
	r := AddJSON("es-cn-a", "es-cn-b")
	r.ContentType = "application/json; ;;="
	resp, err := client(ts.URL, time.Second).Do(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	s := resp.String()
	if strings.ContainsAny(s, "\x1b\x07") {
		t.Errorf("raw control bytes in %q", s)
	}
	for _, want := range []string{`\x1b[2J`, "Content-Type: application/json; ;;=", "X-Acs-Signature-Nonce: ", "Authorization: ACS3-HMAC-SHA256, key LTAI5t…01"} {
		if !strings.Contains(s, want) {
			t.Errorf("exchange text lacks %q:\n%s", want, s)
		}
	}
}

// An answer nested past any the API gives (deeper than
// boundedread.MaxDepth, though well within what encoding/json decodes) is
// read as no JSON: no fields, whatever nests — arrays, objects or both.
func TestADeeplyNestedAnswerIsNoJSON(t *testing.T) {
	for name, inner := range map[string]string{
		"arrays":  strings.Repeat("[", 1000) + strings.Repeat("]", 1000),
		"objects": strings.Repeat(`{"a":`, 1000) + "1" + strings.Repeat("}", 1000),
		"mixed":   strings.Repeat(`[{"a":`, 500) + "1" + strings.Repeat("}]", 500),
	} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"RequestId":"R","Code":"C","Result":`+inner+`}`)
		}))
		start := time.Now()
		resp, err := client(ts.URL, 5*time.Second).Do(context.Background(), Describe("x"))
		ts.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if resp.JSON || resp.RequestID != "" || resp.Code != "" {
			t.Errorf("%s: read as JSON (RequestId %q, Code %q)", name, resp.RequestID, resp.Code)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: %v", name, d)
		}
	}
}
