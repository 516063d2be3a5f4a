package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// NoAnswer says why a request got no answer, in the words a report uses.
type NoAnswer string

// The ways a request can go unanswered.
const (
	NoAnswerTimeout  NoAnswer = "no answer within the timeout"
	NoAnswerRefused  NoAnswer = "connection refused"
	NoAnswerDropped  NoAnswer = "connection dropped before an answer"
	NoAnswerTooLarge NoAnswer = "answer larger than the cap"
	NoAnswerOther    NoAnswer = "no answer"
)

// NoAnswerError is a request that got no (usable) answer.
type NoAnswerError struct {
	Kind    NoAnswer
	Method  string
	Path    string
	Timeout time.Duration
	Err     error
}

// Error names the request and how it went unanswered.
func (e *NoAnswerError) Error() string {
	kind := string(e.Kind)
	if e.Kind == NoAnswerTimeout && e.Timeout > 0 {
		kind = fmt.Sprintf("no answer within %s", e.Timeout)
	}
	return fmt.Sprintf("%s %s: %s (%v)", e.Method, e.Path, kind, e.Err)
}

// Unwrap is the transport's error.
func (e *NoAnswerError) Unwrap() error { return e.Err }

// classify names the transport error err.
func classify(err error) NoAnswer {
	var ne net.Error
	var tooLarge *TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return NoAnswerTooLarge
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return NoAnswerTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return NoAnswerRefused
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return NoAnswerDropped
	}
	return NoAnswerOther
}

// ErrStopped is the error of every request after the endpoint stopped
// answering: it is not sent.
var ErrStopped = errors.New("not sent: the implementation stopped answering")

// ErrOffline is the error of every request of an offline client (a dry
// run): nothing is sent.
var ErrOffline = errors.New("not sent: dry run")

// Health notices an endpoint that stopped answering: after Limit
// consecutive requests without an answer, every later request fails at once
// with ErrStopped instead of waiting its timeout. One Health is shared by the
// clients of one run.
type Health struct {
	Limit int

	mu        sync.Mutex
	run       int
	last      error
	stopped   error
	throttled int
}

// recordThrottle counts a throttled request that is sent again.
func (h *Health) recordThrottle() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.throttled++
}

// TakeThrottled is how many throttled requests were sent again since the
// last call.
func (h *Health) TakeThrottled() int {
	if h == nil {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.throttled
	h.throttled = 0
	return n
}

// NewHealth trips after limit consecutive requests without an answer.
func NewHealth(limit int) *Health { return &Health{Limit: limit} }

// Stopped is nil while the endpoint answers, else an error that says after
// what it stopped; it wraps ErrStopped.
func (h *Health) Stopped() error {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stopped
}

func (h *Health) record(err error) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.run, h.last = 0, nil
		return
	}
	h.run++
	h.last = err
	if h.run >= h.Limit && h.stopped == nil {
		h.stopped = fmt.Errorf("%w after %d consecutive requests without an answer (the last: %w)", ErrStopped, h.run, err)
	}
}

// TooLargeError is an answer whose body passed the cap.
type TooLargeError struct{ Limit int64 }

// Error says what the cap is.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the answer's body is larger than %d bytes; conform reads no more", e.Limit)
}

// CappedTransport wraps rt so that no response body yields more than limit
// bytes: reading past it is a *TooLargeError. It bounds what clients conform
// does not control (an official SDK) read from a hostile implementation.
func CappedTransport(rt http.RoundTripper, limit int64) http.RoundTripper {
	return capped{rt: rt, limit: limit}
}

type capped struct {
	rt    http.RoundTripper
	limit int64
}

func (c capped) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > c.limit {
		resp.Body.Close()
		return nil, &TooLargeError{Limit: c.limit}
	}
	resp.Body = &cappedBody{rc: resp.Body, left: c.limit, limit: c.limit}
	return resp, nil
}

type cappedBody struct {
	rc          io.ReadCloser
	left, limit int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the cap from a longer one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, &TooLargeError{Limit: b.limit}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
