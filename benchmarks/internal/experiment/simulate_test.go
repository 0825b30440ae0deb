package experiment

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/internal/stream"
	"github.com/dspib/dspib/md/runstore"
	"github.com/dspib/dspib/md/traj"
	"github.com/dspib/dspib/systems"
)

// tinyRuns are the two run folders of one benchmark seed for LJ7 at a
// size of a fraction of a second.
func tinyRuns(dir string) []mdRun {
	exps := []Experiment{{Name: "temps", Train: []float64{0.2, 0.5}, Eval: []float64{0.2, 0.3, 0.5}}}
	sizes := Sizes{TrainFrames: 800, RefFrames: 60, BurnIn: 10}
	return mdRuns(exps, sizes, dir)
}

// buildCLI builds cmd/dspib into a temporary folder.
func buildCLI(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the dspib command")
	}
	bin := filepath.Join(t.TempDir(), "dspib")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/dspib/dspib/cmd/dspib").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// A benchmark seed's MD is two run-store folders: they open with
// runstore.Open (per-temperature seeds derived from (seed, kind, kT),
// energies of every frame), a second simulate reuses them, and the CLI's
// train loader learns from the training folder.
func TestBenchmarkFoldersOpen(t *testing.T) {
	dir := t.TempDir()
	runs := tinyRuns(dir)
	var log bytes.Buffer
	require.NoError(t, simulate(context.Background(), systems.LJ7, 7, runs, &log), log.String())
	for _, m := range runs {
		run, err := runstore.Open(m.Dir)
		require.NoError(t, err)
		assert.Equal(t, m.Temperatures, run.Temperatures())
		assert.Equal(t, "lj7-2d", run.Meta.System)
		assert.Equal(t, m.Kind, run.Meta.Extra["kind"])
		for i, kT := range m.Temperatures {
			assert.Equal(t, stream.Seed(7, "md/"+m.Kind, kT), run.Meta.Seeds[i])
			u, err := run.Energies(kT)
			require.NoError(t, err)
			assert.Len(t, u, int(m.Frames))
		}
		assert.True(t, runstore.Complete(m.config(systems.LJ7, 7, nil)), m.Kind)
		assert.False(t, runstore.Complete(m.config(systems.LJ7, 8, nil)), "another seed is another run")
	}
	// Train and ref at the same kT draw independent streams.
	a, _, _, err := traj.ReadNPY(filepath.Join(runs[0].Dir, "traj_kT0.200.npy"))
	require.NoError(t, err)
	b, _, _, err := traj.ReadNPY(filepath.Join(runs[1].Dir, "traj_kT0.200.npy"))
	require.NoError(t, err)
	assert.NotEqual(t, a[:14], b[:14])

	log.Reset()
	require.NoError(t, simulate(context.Background(), systems.LJ7, 7, runs, &log))
	assert.Contains(t, log.String(), "lj7 train all 2 temperatures already complete")
	assert.Contains(t, log.String(), "lj7 ref all 3 temperatures already complete")

	feat, label, d, ld, run, err := loadRun(runs[0].Dir, 10)
	require.NoError(t, err)
	assert.Equal(t, [2]int{7, 2}, [2]int{d, ld})
	assert.Len(t, feat[0.2], 800*7)
	assert.Len(t, label[0.5], 800*2)
	assert.True(t, run.Labels.Standardize)

	bin := buildCLI(t)
	model := filepath.Join(t.TempDir(), "model")
	out, err := exec.Command(bin, "train", "-in", runs[0].Dir, "-out", model, "-phase", "spib", "-k", "5", "-lag", "2",
		"-epochs", "4", "-refinements", "1", "-batch", "64", "-lr", "5e-3", "-seed", "3", "-quiet").CombinedOutput()
	require.NoError(t, err, string(out))
	_, rows, cols, err := traj.ReadNPY(filepath.Join(model, "latents.npy"))
	require.NoError(t, err)
	assert.Equal(t, [2]int{2 * 810, 2}, [2]int{rows, cols})
}

// A folder written by dspib simulate is read by the benchmark's loader and
// reused by its simulate stage when the settings agree: the CLI writes the
// same run-store folder the benchmark does.
func TestCLIFolderReusedByBenchmark(t *testing.T) {
	bin := buildCLI(t)
	dir := t.TempDir()
	m := mdRun{Kind: "train", Temperatures: []float64{0.3}, Frames: 50, Dir: filepath.Join(dir, "md", "train")}
	cfg := m.config(systems.LJ7, 5, nil)
	out, err := exec.Command(bin, "simulate", "-system", "lj7", "-temps", "0.3", "-frames", "50",
		"-seed", strconv.FormatUint(cfg.Seeds[0], 10), "-quiet", "-out", m.Dir).CombinedOutput()
	require.NoError(t, err, string(out))
	feat, label, d, ld, _, err := loadRun(m.Dir, 5)
	require.NoError(t, err)
	assert.Equal(t, [2]int{7, 2}, [2]int{d, ld})
	assert.Len(t, feat[0.3], 45*7)
	assert.Len(t, label[0.3], 45*2)

	// The benchmark's run differs only in its "kind" note and its progress
	// settings: without the note its simulate stage reuses the CLI's files.
	cfg.Extra = nil
	cfg.Checkpoint = 0
	assert.True(t, runstore.Complete(cfg), "CLI folder not reusable with the benchmark's settings")
	var log bytes.Buffer
	cfg.Log = &log
	require.NoError(t, runstore.Simulate(context.Background(), cfg))
	assert.Contains(t, log.String(), "nothing to run")
}
