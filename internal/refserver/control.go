package refserver

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/snaprepo/conform/apierror"
	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/contract"
	"github.com/snaprepo/conform/internal/boundedread"
	"github.com/snaprepo/conform/world"
)

// The control API puts the server into a state, makes it misbehave as the
// platform does, and resets it: what a team's tests need of a fake. It is
// off unless Config.ControlToken is set, and lives under ControlPrefix on
// the API's own listener; every call carries Authorization: Bearer TOKEN.

// ControlPrefix is where the control API lives.
const ControlPrefix = "/_conform/"

// MaxDelay bounds an injected delay.
const MaxDelay = 5 * time.Minute

// afterDelay is the time a delayed request has to be answered once its
// delay is over.
const afterDelay = 30 * time.Second

// maxControlBody bounds a control request's body.
const maxControlBody = 64 << 10

// Duration is a time.Duration written as Go writes one: "2s", "150ms".
type Duration time.Duration

// MarshalJSON writes "2s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "2s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"2s\" or \"150ms\", not %s", clipText(string(b)))
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (write e.g. \"2s\" or \"150ms\")", clipText(s))
	}
	*d = Duration(v)
	return nil
}

// Injected is a fault the next matching requests get: an error answer
// (Status with Code and Message), a delay before the answer, or a dropped
// connection; Times is how many requests it takes (default 1).
type Injected struct {
	// Action is the operation it matches (AddSnapshotRepo, …); "" or "*"
	// matches every request of the API.
	Action  string   `json:"action"`
	Status  int      `json:"status,omitempty"`
	Code    string   `json:"code,omitempty"`
	Message string   `json:"message,omitempty"`
	Delay   Duration `json:"delay,omitempty"`
	Drop    bool     `json:"drop,omitempty"`
	Times   int      `json:"times"`
}

// Transition is a status an instance takes by itself once After has
// passed on the server's clock, as a cluster leaves activating.
type Transition struct {
	Instance string    `json:"instance"`
	Status   string    `json:"status"`
	After    Duration  `json:"after"`
	Due      time.Time `json:"due"`
}

// control is the control API's state.
type control struct {
	mu          sync.Mutex
	transitions []Transition
	injected    []Injected
	// dropDelayed is closed to end the injected delays under way; nil
	// until a delay is.
	dropDelayed chan struct{}
}

// State is the server's state now, in the world format: its instances and
// the repositories every destination references.
func (s *Server) State() world.File {
	s.applyDue()
	f := s.w().File()
	f.Repos = s.store.All()
	for i, r := range f.Repos {
		if s.unavailable.Has(r.Instance, r.RepoPath) {
			f.Repos[i].Status = world.RepoUnavailable
		}
	}
	return f
}

// PutInstance adds an instance, or replaces the one with its ID; the world
// it makes is validated as a world file is.
func (s *Server) PutInstance(rec world.InstanceRecord) error {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	return s.putInstanceLocked(rec)
}

func (s *Server) putInstanceLocked(rec world.InstanceRecord) error {
	f := s.w().File()
	i := slices.IndexFunc(f.Instances, func(r world.InstanceRecord) bool { return r.ID == rec.ID })
	if i < 0 {
		f.Instances = append(f.Instances, rec)
	} else {
		f.Instances[i] = rec
	}
	return s.swapWorld(&f)
}

// RemoveInstance removes an instance; it reports whether there was one.
func (s *Server) RemoveInstance(id string) (bool, error) {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	f := s.w().File()
	n := len(f.Instances)
	f.Instances = slices.DeleteFunc(f.Instances, func(r world.InstanceRecord) bool { return r.ID == id })
	if len(f.Instances) == n {
		return false, nil
	}
	// The repositories that name it go with it, as they do when a cluster
	// is released: it holds none, and none references it.
	names := func(r world.Repo) bool { return r.Instance == id || r.RepoPath == id }
	f.Repos = slices.DeleteFunc(f.Repos, names)
	for _, r := range s.store.All() {
		if names(r) {
			if _, err := s.store.Delete(r.Instance, r.RepoPath); err != nil {
				return true, err
			}
		}
	}
	return true, s.swapWorld(&f)
}

// swapWorld validates f and answers from it. Callers hold ctl.mu.
func (s *Server) swapWorld(f *world.File) error {
	w, err := world.FromFile(s.cfg.World.Name+", as the control API changed it", f)
	var invalid *world.InvalidError
	if errors.As(err, &invalid) {
		var lines []string
		for _, p := range invalid.Problems {
			lines = append(lines, strings.TrimSpace(p.Where+" "+p.Field+": "+p.Msg))
		}
		return fmt.Errorf("the change makes an invalid world: %s", strings.Join(lines, "; "))
	}
	if err != nil {
		return err
	}
	w.Policy = s.cfg.World.Policy
	s.now.Store(newLiveWorld(w, s.region))
	return nil
}

// AddTransition makes an instance take status once after has passed.
func (s *Server) AddTransition(instance, status string, after time.Duration) (Transition, error) {
	st, err := checks.ParseStatus(status)
	switch {
	case err != nil:
		return Transition{}, err
	case s.w().Instance(instance) == nil:
		return Transition{}, fmt.Errorf("instance %q is not in the world: PUT it first, or name one of GET %sstate", clipText(instance), ControlPrefix)
	case after < 0 || after > 24*time.Hour:
		return Transition{}, fmt.Errorf("after %s is not between 0s and 24h", after)
	}
	t := Transition{Instance: instance, Status: string(st), After: Duration(after), Due: s.cfg.Now().Add(after)}
	s.ctl.mu.Lock()
	s.ctl.transitions = append(s.ctl.transitions, t)
	s.ctl.mu.Unlock()
	s.applyDue()
	return t, nil
}

// Transitions are the transitions still to come.
func (s *Server) Transitions() []Transition {
	s.applyDue()
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	return slices.Clone(s.ctl.transitions)
}

// applyDue applies every transition whose time has come, in order.
func (s *Server) applyDue() {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	if len(s.ctl.transitions) == 0 {
		return
	}
	now := s.cfg.Now()
	slices.SortStableFunc(s.ctl.transitions, func(a, b Transition) int { return a.Due.Compare(b.Due) })
	for len(s.ctl.transitions) > 0 && !s.ctl.transitions[0].Due.After(now) {
		t := s.ctl.transitions[0]
		s.ctl.transitions = s.ctl.transitions[1:]
		if in := s.w().Instance(t.Instance); in != nil {
			rec := world.Record(*in)
			rec.Status = t.Status
			if err := s.putInstanceLocked(rec); err != nil {
				s.log.Error("a transition could not be applied", "instance", t.Instance, "status", t.Status, "error", err)
			} else {
				s.log.Info("transition", "instance", t.Instance, "status", t.Status)
			}
		}
	}
}

// Inject adds a fault the next matching requests get.
func (s *Server) Inject(f Injected) error {
	if f.Times == 0 {
		f.Times = 1
	}
	if f.Action == "*" {
		f.Action = ""
	}
	l := contract.MustBuiltin()
	switch {
	case f.Action != "" && l.Operation(f.Action) == nil:
		var names []string
		for _, o := range l.Operations {
			names = append(names, o.Name)
		}
		return fmt.Errorf("action %q is not an operation of the API (want one of %s, or \"*\")", clipText(f.Action), strings.Join(names, ", "))
	case f.Times < 0 || f.Times > 1_000_000:
		return fmt.Errorf("times %d is not between 1 and 1000000", f.Times)
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("status %d is not an error status (want 400 to 599, e.g. 503)", f.Status)
	case f.Status != 0 && f.Code == "":
		return errors.New("an injected error needs a code, e.g. \"ServiceUnavailable\" or \"Throttling.User\"")
	case f.Status == 0 && f.Code != "":
		return errors.New("a code needs a status, e.g. 400 for Throttling.User")
	case f.Delay < 0 || time.Duration(f.Delay) > MaxDelay:
		return fmt.Errorf("delay %s is not between 0s and %s", time.Duration(f.Delay), MaxDelay)
	case f.Status == 0 && !f.Drop && f.Delay == 0:
		return errors.New("a fault does something: give a status and code, a delay, or drop: true")
	case len(f.Code) > 128 || len(f.Message) > 1024:
		return errors.New("code and message are at most 128 and 1024 bytes")
	}
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	if len(s.ctl.injected) >= 1000 {
		return errors.New("1000 faults are pending already: DELETE " + ControlPrefix + "faults first")
	}
	s.ctl.injected = append(s.ctl.injected, f)
	return nil
}

// InjectedFaults are the faults still pending.
func (s *Server) InjectedFaults() []Injected {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	return slices.Clone(s.ctl.injected)
}

// ClearInjected removes every pending fault.
func (s *Server) ClearInjected() {
	s.ctl.mu.Lock()
	s.ctl.injected = nil
	s.ctl.mu.Unlock()
}

// takeInjected is the first pending fault matching action, used once, and
// the channel that DropDelayed closes to end its delay: taken with the
// fault, so that a reset that follows the taking drops the request.
func (s *Server) takeInjected(action string) (Injected, <-chan struct{}, bool) {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	for i := range s.ctl.injected {
		f := &s.ctl.injected[i]
		if f.Action != "" && f.Action != action {
			continue
		}
		out := *f
		if f.Times--; f.Times <= 0 {
			s.ctl.injected = slices.Delete(s.ctl.injected, i, i+1)
		}
		if s.ctl.dropDelayed == nil {
			s.ctl.dropDelayed = make(chan struct{})
		}
		return out, s.ctl.dropDelayed, true
	}
	return Injected{}, nil, false
}

// DropDelayed ends every request still in an injected delay by dropping
// its connection, unanswered and not carried out: after a reset none of
// them lands in the next test, and a shutdown need not wait for them.
func (s *Server) DropDelayed() {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	if s.ctl.dropDelayed != nil {
		close(s.ctl.dropDelayed)
		s.ctl.dropDelayed = nil
	}
}

// Reset puts the server back to its world's state: instances and their
// statuses, repositories (persisted when there is a data dir), pending
// transitions and faults, remembered nonces; requests still in an injected
// delay are dropped.
func (s *Server) Reset() error {
	s.DropDelayed()
	s.ctl.mu.Lock()
	s.ctl.transitions, s.ctl.injected = nil, nil
	s.now.Store(newLiveWorld(s.cfg.World, s.region))
	s.ctl.mu.Unlock()
	var unavailable []world.Repo
	for _, r := range s.cfg.World.Repos {
		if r.Status == world.RepoUnavailable {
			unavailable = append(unavailable, r)
		}
	}
	s.unavailable.Reset(unavailable)
	s.deleted.Reset(nil)
	s.verifier.Forget()
	return s.store.Reset(s.cfg.World.Repos)
}

// serveControl answers a control API call.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	status := http.StatusOK
	defer func() {
		s.log.Info("control", "method", r.Method, "path", clipText(r.URL.EscapedPath()), "status", status)
	}()
	reply := func(code int, v any) {
		status = code
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	problem := func(code int, format string, a ...any) {
		reply(code, map[string]string{"error": fmt.Sprintf(format, a...)})
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.ControlToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="conform control"`)
		problem(http.StatusUnauthorized, "the control API wants Authorization: Bearer TOKEN, the token conform serve was given with --control-token")
		return
	}
	s.applyDue()
	read := func(v any) bool {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
		switch {
		case err != nil:
			problem(http.StatusBadRequest, "the body could not be read: %v", err)
			return false
		case len(body) > maxControlBody:
			problem(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", maxControlBody)
			return false
		}
		if err := boundedread.Depth(body, boundedread.MaxDepth); err != nil {
			problem(http.StatusBadRequest, "the body: %v", err)
			return false
		}
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			problem(http.StatusBadRequest, "the body is not what %s %s takes: %s", r.Method, clipText(r.URL.Path), clipText(err.Error()))
			return false
		}
		return true
	}
	path := strings.TrimPrefix(r.URL.Path, ControlPrefix)
	switch {
	case path == "state" && r.Method == http.MethodGet:
		f := s.State()
		reply(http.StatusOK, map[string]any{"instances": f.Instances, "repos": f.Repos})
	case strings.HasPrefix(path, "instances/") && r.Method == http.MethodPut:
		id := strings.TrimPrefix(path, "instances/")
		var patch struct {
			Account, Region, Version, Edition, Kernel, Status *string
		}
		if !read(&patch) {
			return
		}
		rec := world.InstanceRecord{ID: id}
		if in := s.w().Instance(id); in != nil {
			rec = world.Record(*in)
		}
		for _, f := range []struct {
			from *string
			to   *string
		}{{patch.Account, &rec.Account}, {patch.Region, &rec.Region}, {patch.Version, &rec.Version}, {patch.Edition, &rec.Edition}, {patch.Kernel, &rec.Kernel}, {patch.Status, &rec.Status}} {
			if f.from != nil {
				*f.to = *f.from
			}
		}
		if err := s.PutInstance(rec); err != nil {
			problem(http.StatusBadRequest, "%s", clipText(strings.ReplaceAll(err.Error(), "\n", "; ")))
			return
		}
		reply(http.StatusOK, map[string]any{"instance": rec})
	case strings.HasPrefix(path, "instances/") && r.Method == http.MethodDelete:
		removed, err := s.RemoveInstance(strings.TrimPrefix(path, "instances/"))
		switch {
		case err != nil:
			problem(http.StatusConflict, "%s", clipText(strings.ReplaceAll(err.Error(), "\n", "; ")))
		case !removed:
			problem(http.StatusNotFound, "no instance %q in the world", clipText(strings.TrimPrefix(path, "instances/")))
		default:
			reply(http.StatusOK, map[string]bool{"removed": true})
		}
	case path == "transitions" && r.Method == http.MethodPost:
		var t Transition
		if !read(&t) {
			return
		}
		t, err := s.AddTransition(t.Instance, t.Status, time.Duration(t.After))
		if err != nil {
			problem(http.StatusBadRequest, "%s", clipText(err.Error()))
			return
		}
		reply(http.StatusCreated, t)
	case path == "transitions" && r.Method == http.MethodGet:
		reply(http.StatusOK, map[string]any{"transitions": nonNil(s.Transitions())})
	case path == "faults" && r.Method == http.MethodPost:
		var f Injected
		if !read(&f) {
			return
		}
		if err := s.Inject(f); err != nil {
			problem(http.StatusBadRequest, "%s", clipText(err.Error()))
			return
		}
		reply(http.StatusCreated, map[string]any{"faults": nonNil(s.InjectedFaults())})
	case path == "faults" && r.Method == http.MethodGet:
		reply(http.StatusOK, map[string]any{"faults": nonNil(s.InjectedFaults())})
	case path == "faults" && r.Method == http.MethodDelete:
		s.ClearInjected()
		reply(http.StatusOK, map[string]any{"faults": []Injected{}})
	case path == "reset" && r.Method == http.MethodPost:
		if err := s.Reset(); err != nil {
			s.log.Error("reset failed", "error", err)
			problem(http.StatusInternalServerError, "the reset could not persist the repositories: %v", err)
			return
		}
		reply(http.StatusOK, map[string]bool{"reset": true})
	default:
		problem(http.StatusNotFound, "no control operation %s %s: see GET state, PUT|DELETE instances/{id}, POST|GET transitions, POST|GET|DELETE faults, POST reset", r.Method, clipText(r.URL.Path))
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// clipText bounds outside text quoted in an answer or a log line.
func clipText(s string) string { return truncate(s, 200) }

// injectedAnswer carries out an injected fault on x: the delay, then the
// dropped connection or the error answer. It reports whether the request
// was answered (or dropped) by it. dropped ends the delay with a dropped
// connection (DropDelayed). A delayed request is carried out after
// its delay whether or not its client still waits: a client's timeout does
// not tell it that the platform did nothing, and a retry must allow for
// that.
func (s *Server) injectedAnswer(x *exchange, f Injected, dropped <-chan struct{}) bool {
	if f.Delay > 0 {
		// The listener's write timeout guards against slow clients; a
		// delay asked for is no slow client, so this request's write
		// deadline moves past it (where the writer supports it).
		_ = http.NewResponseController(x.w).SetWriteDeadline(time.Now().Add(time.Duration(f.Delay) + afterDelay))
		t := time.NewTimer(time.Duration(f.Delay))
		defer t.Stop()
		select {
		case <-t.C:
		case <-dropped:
			s.log.Info("injected: a delayed request dropped by a reset or a shutdown", "action", x.action)
			panic(http.ErrAbortHandler)
		}
	}
	switch {
	case f.Drop:
		s.log.Info("injected: connection dropped", "action", x.action)
		panic(http.ErrAbortHandler)
	case f.Status != 0:
		s.fail(x, apierrorOf(f))
		return true
	}
	return false
}

// apierrorOf is an injected fault's error answer; a code the ledger knows
// gets its message when none is given.
func apierrorOf(f Injected) apierror.Error {
	e := apierror.Error{Code: f.Code, Message: f.Message, Status: f.Status, Kind: contract.KindConform, Source: "injected through the control API"}
	if e.Message == "" {
		for _, a := range contract.MustBuiltin().Answers {
			if a.Code == f.Code {
				e.Message = a.Message
				break
			}
		}
	}
	if e.Message == "" {
		e.Message = "Injected through conform's control API."
	}
	return e
}
