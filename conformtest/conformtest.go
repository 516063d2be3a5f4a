// Package conformtest starts conform's reference server for a Go test, as
// net/http/httptest starts a handler: a faithful fake of the Alibaba Cloud
// Elasticsearch snapshot-repository API on loopback, closed when the test
// ends, that the test can put into a state, make misbehave and reset.
//
//	srv := conformtest.NewServer(t)
//	cfg := &openapi.Config{Endpoint: tea.String(srv.Endpoint), Protocol: tea.String(srv.Protocol), …}
//	srv.SetStatus("es-cn-cf710dest0000001", "activating")
//
// See docs/testing.md.
package conformtest

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snaprepo/conform/server"
	"github.com/snaprepo/conform/world"
)

// Credentials are an AccessKey pair of the world, for the SDK under test.
type Credentials struct {
	AccessKeyID, AccessKeySecret string
}

// Server is a running reference server.
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT.
	URL string
	// Endpoint and Protocol are darabonba-openapi's Config.Endpoint and
	// Config.Protocol (and the Node SDKs' endpoint and protocol) for it.
	Endpoint, Protocol string
	// World is the world served.
	World *world.World

	srv   *server.Server
	ts    *httptest.Server
	clock *clock
}

// Option configures NewServer.
type Option func(*options)

type options struct {
	world  *world.World
	noAuth bool
	faults []string
	start  time.Time
	region string
}

// WithWorld serves w instead of the built-in world (fixtures/world.yaml).
func WithWorld(w *world.World) Option { return func(o *options) { o.world = w } }

// WithoutAuth serves unsigned requests: a plain fake (the caller is the
// account its AccessKeyId names, else the world's first).
func WithoutAuth() Option { return func(o *options) { o.noAuth = true } }

// WithFaults serves with planted faults (server.PlantedFaults lists them).
func WithFaults(names ...string) Option {
	return func(o *options) { o.faults = append(o.faults, names...) }
}

// WithClock starts the server's clock at start rather than now; Advance
// moves it. Signed requests are checked against it: their dates must be
// within 15 minutes of it.
func WithClock(start time.Time) Option { return func(o *options) { o.start = start } }

// WithRegion serves region instead of the world's.
func WithRegion(region string) Option { return func(o *options) { o.region = region } }

// NewServer starts a reference server on loopback for t and closes it when
// t ends. A world that does not load, or a fault name that is none, fails t.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.world == nil {
		w, err := world.Builtin()
		if err != nil {
			t.Fatalf("conformtest: the built-in world: %v", err)
		}
		o.world = w
	}
	c := newClock(o.start)
	srv, err := server.New(server.Options{World: o.world, Region: o.region, NoAuth: o.noAuth, Faults: o.faults, Now: c.now})
	if err != nil {
		t.Fatalf("conformtest: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		// The server first: closing it drops the requests still in an
		// injected delay, which the listener's Close would wait for.
		srv.Close()
		ts.Close()
	})
	return &Server{URL: ts.URL, Endpoint: strings.TrimPrefix(ts.URL, "http://"), Protocol: "http", World: o.world, srv: srv, ts: ts, clock: c}
}

// Credentials are the first AccessKey of the world's first account: what
// the code under test signs with.
func (s *Server) Credentials() Credentials {
	for _, a := range s.World.Accounts {
		for _, k := range a.AccessKeys {
			return Credentials{AccessKeyID: k.ID, AccessKeySecret: k.Secret}
		}
	}
	return Credentials{}
}

// Handler is the server itself, for checks beyond this package's methods.
func (s *Server) Handler() *server.Server { return s.srv }

// Repos is the sources destination references now.
func (s *Server) Repos(destination string) []string { return s.srv.Repos(destination) }

// SetStatus changes an instance's status: active, activating, inactive or
// invalid.
func (s *Server) SetStatus(id, status string) error { return s.srv.SetStatus(id, status) }

// PutInstance adds an instance, or replaces the one with its ID.
func (s *Server) PutInstance(rec world.InstanceRecord) error { return s.srv.PutInstance(rec) }

// Transition makes an instance take status once after has passed on the
// server's clock (see Advance).
func (s *Server) Transition(id, status string, after time.Duration) error {
	_, err := s.srv.AddTransition(id, status, after)
	return err
}

// Inject makes the next f.Times requests (default 1) of f.Action ("" for
// any) get f: an error answer, a delay, or a dropped connection.
func (s *Server) Inject(f server.Fault) error { return s.srv.Inject(f) }

// Reset puts the server back to its world's state.
func (s *Server) Reset() error { return s.srv.Reset() }

// Advance moves the server's clock by d: transitions come due, and signed
// requests' dates are checked against the moved clock.
func (s *Server) Advance(d time.Duration) { s.clock.advance(d) }

// Now is the server's clock.
func (s *Server) Now() time.Time { return s.clock.now() }

// clock is real time plus an offset.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func newClock(start time.Time) *clock {
	c := &clock{}
	if !start.IsZero() {
		c.offset = time.Until(start)
	}
	return c
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}
