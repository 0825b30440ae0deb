// Package syncio has the one piece of I/O plumbing the command-line tool and
// the benchmark programs share: a writer that concurrent goroutines (MD
// replicas, experiment stages) can log to without interleaving their lines.
package syncio

import (
	"io"
	"sync"
)

// Writer serialises Write calls to an underlying io.Writer. A line written
// by one Write (as fmt.Fprintf and log lines are) reaches w whole, never
// interleaved with another goroutine's.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes p to the underlying writer while holding the lock.
func (s *Writer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
