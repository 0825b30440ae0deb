package spib

import (
	"fmt"
	"io"
	"time"
)

// progress writes rate-limited progress lines.
type progress struct {
	w     io.Writer
	every time.Duration
	last  time.Time
}

// report writes st if the interval has passed since the last line or force.
func (p *progress) report(st EpochStats, force bool) {
	if p.w == nil {
		return
	}
	now := time.Now()
	if !force && !p.last.IsZero() && now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "spib: round %d epoch %d (total %d): loss %.6g (CE %.6g, KL %.6g) test %.6g, states %d/%d, elapsed %v\n",
		st.Round, st.Epoch, st.TotalEpoch, st.TrainLoss, st.TrainCE, st.TrainKL, st.TestLoss,
		st.NumStates, st.Trained, st.Elapsed.Round(time.Millisecond))
}
