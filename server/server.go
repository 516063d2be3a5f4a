// Package server is the reference implementation of AddSnapshotRepo and its
// companion operations as an http.Handler: build one from a world and serve
// it, or mount it in httptest to use it as a fake in your own Go tests.
// Every decision comes from package checks.
package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/snaprepo/conform/internal/refserver"
	"github.com/snaprepo/conform/world"
)

// ControlPrefix is where the control API lives (docs/testing.md), on the
// API's own listener.
const ControlPrefix = refserver.ControlPrefix

// Options configure a Server.
type Options struct {
	// World holds the accounts, AccessKeys and instances served. Required.
	World *world.World
	// Region is the region this endpoint serves; default World.Region.
	// Instances of other regions exist but are not destinations here.
	Region string
	// NoAuth turns signature checking off: a plain fake. The caller is then
	// the account of the AccessKeyId in Authorization if the world knows it,
	// else the world's first account.
	NoAuth bool
	// DataDir keeps repositories across restarts in DataDir/repos.json;
	// empty keeps them in memory.
	DataDir string
	// Logger gets one line per request; nil logs nothing.
	Logger *slog.Logger
	// Now is the clock for signature dates; nil means time.Now.
	Now func() time.Time
	// NonceCapacity bounds the nonces remembered against replays (0: 1,048,576).
	// A nonce is remembered while its request's date is within the 15-minute
	// window; when that many are, new signed requests get 400 Throttling.User (the gateway's status for it)
	// rather than a nonce being forgotten early.
	NonceCapacity int
	// Faults names planted faults to serve with (PlantedFaults lists them):
	// a server that misbehaves the way implementations do, to watch
	// conform run catch it or to test that code of one's own notices.
	Faults []string
	// ControlToken turns on the control API under /_conform/ (docs/testing.md),
	// every call with Authorization: Bearer ControlToken; empty leaves it
	// off, and its paths are unknown paths of the API.
	ControlToken string
}

// PlantedFault is a realistic mistake the server can be made to make.
type PlantedFault struct {
	// Name is what Options.Faults and conform serve --fault take.
	Name string
	// Breaks says what it gets wrong; Catches is the requirement whose
	// spec fails when conform run meets it, Only that no other does, and
	// Exhaustive that it takes conform run --exhaustive to meet it.
	Breaks, Catches  string
	Only, Exhaustive bool
	// CaughtBy is Catches as conform serve --faults prints it: with " only"
	// or " with --exhaustive" where those hold.
	CaughtBy string
}

// PlantedFaults lists every planted fault.
func PlantedFaults() []PlantedFault {
	var out []PlantedFault
	for _, p := range refserver.Planted() {
		out = append(out, PlantedFault{Name: p.Name, Breaks: p.Breaks, Catches: p.Catches, Only: p.Only, Exhaustive: p.Exhaustive, CaughtBy: p.CaughtBy()})
	}
	return out
}

// Server is the reference implementation.
type Server struct {
	inner *refserver.Server
}

// New builds a Server. It fails on a missing world, or a data dir whose
// state file cannot be read whole.
func New(o Options) (*Server, error) {
	var faults refserver.Faults
	for _, name := range o.Faults {
		if err := faults.Plant(name); err != nil {
			return nil, err
		}
	}
	inner, err := refserver.New(refserver.Config{
		World: o.World, Region: o.Region, Auth: !o.NoAuth, DataDir: o.DataDir, Logger: o.Logger, Now: o.Now, NonceCapacity: o.NonceCapacity,
		Faults: faults, ControlToken: o.ControlToken,
	})
	if err != nil {
		return nil, err
	}
	return &Server{inner: inner}, nil
}

// Close releases the server's --data-dir (its lock, so another server may
// use the directory, and its journal); without a data dir it does nothing.
func (s *Server) Close() error { return s.inner.Close() }

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.inner.ServeHTTP(w, r) }

// Fault is a misbehaviour the next matching requests get (Server.Inject):
// an error answer, a delay, or a dropped connection.
type Fault = refserver.Injected

// Duration is a Fault's delay or a Transition's wait, written "2s" in JSON.
type Duration = refserver.Duration

// Transition is a status an instance takes by itself after a while.
type Transition = refserver.Transition

// State is the server's state now in the world format: instances (as the
// control API changed them) and every destination's repositories.
func (s *Server) State() world.File { return s.inner.State() }

// PutInstance adds an instance or replaces the one with its ID, validated
// as a world file is.
func (s *Server) PutInstance(rec world.InstanceRecord) error { return s.inner.PutInstance(rec) }

// RemoveInstance removes an instance; it reports whether there was one.
func (s *Server) RemoveInstance(id string) (bool, error) { return s.inner.RemoveInstance(id) }

// SetStatus changes an instance's status (active, activating, inactive,
// invalid).
func (s *Server) SetStatus(id, status string) error {
	for _, rec := range s.inner.State().Instances {
		if rec.ID == id {
			rec.Status = status
			return s.inner.PutInstance(rec)
		}
	}
	return fmt.Errorf("instance %q is not in the world", id)
}

// AddTransition makes an instance take status once after has passed on
// the server's clock (Options.Now).
func (s *Server) AddTransition(id, status string, after time.Duration) (Transition, error) {
	return s.inner.AddTransition(id, status, after)
}

// Inject makes the next f.Times requests matching f.Action get f.
func (s *Server) Inject(f Fault) error { return s.inner.Inject(f) }

// Faults are the injected faults still pending.
func (s *Server) Faults() []Fault { return s.inner.InjectedFaults() }

// ClearFaults removes every pending injected fault.
func (s *Server) ClearFaults() { s.inner.ClearInjected() }

// Reset puts the server back to its world's state: instances, statuses,
// repositories, transitions, injected faults and remembered nonces.
func (s *Server) Reset() error { return s.inner.Reset() }

// Repos is the sources the destination references now.
func (s *Server) Repos(destination string) []string { return s.inner.Store().List(destination) }

// HTTPServer wraps h in an http.Server with the timeouts a server on a
// network needs: a slow or silent client cannot hold a connection forever.
func HTTPServer(addr string, h http.Handler) *http.Server {
	hs := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if s, ok := h.(*Server); ok {
		// A shutdown does not wait for injected delays.
		hs.RegisterOnShutdown(s.inner.DropDelayed)
	}
	return hs
}
