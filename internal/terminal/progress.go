package terminal

// Progress: how far a long job is — count, total, estimated time left — on
// a terminal, and nothing anywhere else.

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Meter writes progress lines over one another. A nil *Meter does nothing,
// so callers need not check.
type Meter struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	start time.Time
	last  time.Time
	now   func() time.Time
	every time.Duration
}

// NewMeter makes a meter on w.
func NewMeter(w io.Writer, label string, now func() time.Time) *Meter {
	if now == nil {
		now = time.Now
	}
	start := now()
	return &Meter{w: w, label: label, start: start, last: start, now: now, every: 100 * time.Millisecond}
}

// MeterOnTerminal is NewMeter when f is a terminal, else nil: piped or
// redirected output gets nothing extra.
func MeterOnTerminal(f *os.File, label string) *Meter {
	if !IsTerminal(f) {
		return nil
	}
	return NewMeter(f, label, nil)
}

// Update reports done of total, at most every 100 ms, and always the last.
func (m *Meter) Update(done, total int) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if done < total && now.Sub(m.last) < m.every {
		return
	}
	m.last = now
	fmt.Fprint(m.w, "\r"+ProgressLine(m.label, done, total, now.Sub(m.start)))
	if done >= total {
		fmt.Fprintln(m.w)
	}
}

// ProgressLine is one progress line: "label 250/1000 (25%), about 3s
// left".
func ProgressLine(label string, done, total int, elapsed time.Duration) string {
	if total <= 0 {
		return fmt.Sprintf("%s %d", label, done)
	}
	s := fmt.Sprintf("%s %d/%d (%d%%)", label, done, total, done*100/total)
	switch {
	case done >= total:
		s += fmt.Sprintf(", done in %s", elapsed.Round(time.Millisecond))
	case done > 0:
		left := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
		s += fmt.Sprintf(", about %s left", left.Round(time.Second))
	}
	return s + "   "
}
