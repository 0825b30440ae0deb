package experiment

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/learn/spib"
	"github.com/dspib/dspib/md/traj"
	"github.com/dspib/dspib/systems"
)

// dspib train -in <lj7 folder> and the LJ7 benchmark give identical initial
// labels on the same frames with the same random stream: both run
// spib.KMeansLabelsFrom on the run folder's label features, standardised
// (μ2, μ3). The folder is the benchmark's training folder without burn-in,
// so both see the same frames; the CLI's stream is PCG(seed, 0), passed to
// the benchmark's label function here.
func TestInitialLabelsCLIEqualBenchmark(t *testing.T) {
	bin := buildCLI(t)
	dir := t.TempDir()
	e := Experiment{Name: "temps", Train: []float64{0.2, 0.5}, Eval: []float64{0.2, 0.5}}
	sizes := Sizes{TrainFrames: 400, RefFrames: 20, BurnIn: 0, KMeansK: 20}
	var log bytes.Buffer
	r := &seedRun{spec: &Spec{System: systems.LJ7, Experiments: []Experiment{e}}, sys: systems.LJ7, sizes: sizes, seed: 9, dir: dir, log: &log}
	require.NoError(t, r.simulateAndLoad(context.Background()), log.String())
	require.True(t, r.kmStd, "LJ7 labels are standardised")

	var trajs []spib.Trajectory
	for _, kT := range e.Train {
		f := r.trainFeat[kT]
		tr := spib.Trajectory{Temp: kT}
		for i := 0; i < len(f)/r.d; i++ {
			tr.Features = append(tr.Features, f[i*r.d:(i+1)*r.d])
		}
		trajs = append(trajs, tr)
	}
	const seed = 11
	require.NoError(t, r.initialLabels(&e, trajs, rand.New(rand.NewPCG(seed, 0))))
	var bench []int
	for _, tr := range trajs {
		bench = append(bench, tr.Labels...)
	}

	model := filepath.Join(t.TempDir(), "model")
	out, err := exec.Command(bin, "train", "-in", filepath.Join(dir, "md", "train"), "-out", model, "-phase", "spib",
		"-k", "20", "-seed", "11", "-lag", "2", "-epochs", "2", "-refinements", "-1", "-batch", "64", "-quiet").CombinedOutput()
	// Training may stop with "fewer than two states" on so little data;
	// the initial labels are written before training starts.
	cli, rerr := traj.ReadNPYInts(filepath.Join(model, "initial_labels.npy"))
	require.NoError(t, rerr, "train: %v\n%s", err, out)
	require.Len(t, cli, 800)
	assert.Equal(t, bench, cli)

	// Unstandardised k-means on the raw moments gives other labels: the
	// test can tell the two paths apart.
	r.kmStd = false
	require.NoError(t, r.initialLabels(&e, trajs, rand.New(rand.NewPCG(seed, 0))))
	var raw []int
	for _, tr := range trajs {
		raw = append(raw, tr.Labels...)
	}
	assert.NotEqual(t, cli, raw)
}
