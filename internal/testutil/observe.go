package testutil

import (
	"errors"
	"fmt"

	"github.com/dspib/dspib/learn/monitor"
)

// ErrStop is the error an Observed returns at its Fail-th epoch.
var ErrStop = errors.New("testutil: the observer stops training")

// Observed is a monitor.Observer for the learners' observer tests: it
// records every epoch it sees and, with Fail > 0, returns ErrStop at the
// Fail-th one.
type Observed struct {
	Epochs []monitor.Epoch
	Fail   int
}

// Observe records e.
func (o *Observed) Observe(e monitor.Epoch) error {
	o.Epochs = append(o.Epochs, e)
	if len(o.Epochs) == o.Fail {
		return ErrStop
	}
	return nil
}

// Keys returns EpochKey of every recorded epoch, in order.
func (o *Observed) Keys() []string {
	k := make([]string, len(o.Epochs))
	for i, e := range o.Epochs {
		k[i] = EpochKey(e.Phase, e.Round, e.Epoch)
	}
	return k
}

// EpochKey names an epoch as "phase round/epoch", to compare what
// observers saw with a learner's history.
func EpochKey(phase string, round, epoch int) string {
	return fmt.Sprintf("%s %d/%d", phase, round, epoch)
}
