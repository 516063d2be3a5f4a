package refserver

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Every request is logged once at Info, with the operation its method and
// path name, even when it is refused before any handler runs.
func TestEveryRequestIsLoggedWithItsOperation(t *testing.T) {
	var logged bytes.Buffer
	signing := func(level slog.Level) *Server {
		return startServer(t, Config{Auth: true, Logger: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: level}))})
	}
	s := signing(slog.LevelInfo)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi/instances/es-cn-cf710dest0000001", nil))
	if rec.Code < 400 || rec.Code >= 500 {
		t.Fatalf("an unsigned request: %d, want a 4xx", rec.Code)
	}
	text := logged.String()
	if n := strings.Count(text, "msg=request "); n != 1 || !strings.Contains(text, "action=DescribeInstance") || !strings.Contains(text, "status=4") {
		t.Errorf("log:\n%s\nwant one request line naming DescribeInstance and its 4xx", text)
	}
	logged.Reset()
	quiet := signing(slog.LevelWarn)
	quiet.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/openapi/instances/es-cn-cf710dest0000001", nil))
	if logged.Len() != 0 {
		t.Errorf("a server logging warnings only logged:\n%s", logged.String())
	}
}
