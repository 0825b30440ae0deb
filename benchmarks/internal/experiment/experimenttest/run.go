package experimenttest

import (
	"bytes"
	"context"
	"io"
	"testing"
)

// Methods lists the method keys every benchmark program must report at every
// evaluated temperature: the two generators and the
// nearest-training-temperature MD baseline, the noise floor (a second
// independent MD run) and the two Boltzmann-reweighting baselines (nearest
// kT, MBAR) under each encoder. With -posthoc there is PostHoc too.
var Methods = []string{"spib", "dspib", "nearest_spib", "nearest_dspib", "floor_spib", "floor_dspib",
	"rw_nearest_spib", "rw_mbar_spib", "rw_nearest_dspib", "rw_mbar_dspib"}

// PostHoc is the method key of the post-hoc prior ablation (-posthoc).
const PostHoc = "posthoc"

// RunFunc is a benchmark program's testable entry point (its run function).
type RunFunc func(ctx context.Context, args []string, stderr io.Writer) error

// Run calls run with args and a background context, fails the test with the
// program's log if it returns an error, and returns the log.
func Run(t testing.TB, run RunFunc, args ...string) string {
	t.Helper()
	var log bytes.Buffer
	if err := run(context.Background(), args, &log); err != nil {
		t.Fatalf("run %v: %v\n%s", args, err, log.String())
	}
	return log.String()
}
