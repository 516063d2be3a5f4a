// Package progress shows how far a long job is — count, total, estimated
// time left — on a terminal, and nothing anywhere else.
package progress

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

// New makes a meter on w.
func New(w io.Writer, label string, now func() time.Time) *Meter {
	if now == nil {
		now = time.Now
	}
	start := now()
	return &Meter{w: w, label: label, start: start, last: start, now: now, every: 100 * time.Millisecond}
}

// OnTerminal is New when f is a terminal, else nil: piped or redirected
// output gets nothing extra.
func OnTerminal(f *os.File, label string) *Meter {
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return New(f, label, nil)
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
	fmt.Fprint(m.w, "\r"+Line(m.label, done, total, now.Sub(m.start)))
	if done >= total {
		fmt.Fprintln(m.w)
	}
}

// Line is one progress line: "label 250/1000 (25%), about 3s left".
func Line(label string, done, total int, elapsed time.Duration) string {
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
