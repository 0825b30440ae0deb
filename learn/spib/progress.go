package spib

import (
	"fmt"
	"io"
	"time"
)

// Progress writes rate-limited progress lines to W: at most one per Every,
// plus the ones forced (end of a round or of training). The zero Every
// writes every line; a nil W writes nothing. learn/dspib uses it for
// phase 2 as well.
type Progress struct {
	W     io.Writer
	Every time.Duration
	last  time.Time
}

// Report formats a line (fmt.Fprintf) if Every has passed since the last
// line or force is set.
func (p *Progress) Report(force bool, format string, a ...any) {
	if p.W == nil {
		return
	}
	now := time.Now()
	if !force && !p.last.IsZero() && now.Sub(p.last) < p.Every {
		return
	}
	p.last = now
	fmt.Fprintf(p.W, format, a...)
}
