package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dspib/dspib/internal/folderlock"
	"github.com/dspib/dspib/md/traj"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTrainExplicitZeros reproduces issue item 2: explicit zeros of train
// are refused with a message naming the flag when they mean nothing, never
// silently replaced by the default.
func TestTrainExplicitZeros(t *testing.T) {
	dir := t.TempDir()
	for _, fl := range []string{"lag", "batch", "latent-dim", "replicas", "epochs", "epochs1", "epochs2", "lr", "lambda", "tol1", "tol2"} {
		r := runCLI(context.Background(), "train", "-in", dir, "-out", dir, "-"+fl, "0")
		assert.Equal(t, 2, r.code, "-%s 0: %s", fl, r.stderr)
		assert.Contains(t, r.stderr, "-"+fl+" 0:", "-%s 0", fl)
	}
	// Not given: the defaults (the command then fails on the missing folder).
	r := runCLI(context.Background(), "train", "-in", filepath.Join(dir, "none"), "-out", dir)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "metadata.json")
}

// TestTrainMeaningfulZeros: -beta 0 and -refinements 0 are
// used as zeros, and summary.json records them.
func TestTrainMeaningfulZeros(t *testing.T) {
	dir := t.TempDir()
	sim := smallSim(t, dir)
	model := filepath.Join(dir, "model")
	mustRun(t, append([]string{"train", "-in", sim, "-out", model, "-phase", "spib"},
		append(quickTrain, "-beta", "0", "-refinements", "0")...)...)
	var sum struct {
		SPIB map[string]any `json:"spib_config"`
	}
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(model, "summary.json")), &sum))
	for _, k := range []string{"beta", "refinements"} {
		v, ok := sum.SPIB[k]
		assert.True(t, ok, "summary has no %s", k)
		assert.EqualValues(t, 0, v, "summary %s", k)
	}
}

// TestTrainExponentZero: -exponent 0 is the explicit a = 0 (σ_T = 1 at
// every kT), passed to the library as its "explicitly zero" (negative)
// value, not replaced by the default a = 1.
func TestTrainExponentZero(t *testing.T) {
	tc, err := parseTrain([]string{"-in", "x", "-out", "y", "-exponent", "0"}, io.Discard)
	require.NoError(t, err)
	assert.Negative(t, tc.raw.Prior.Exponent)
	tc, err = parseTrain([]string{"-in", "x", "-out", "y"}, io.Discard)
	require.NoError(t, err)
	assert.Zero(t, tc.raw.Prior.Exponent, "not given: the library's default")
}

// TestTempsTrimmedAndBounded reproduces item 6: spaces around -temps values
// are accepted, and an absurd kT is refused up front with a short message.
func TestTempsTrimmedAndBounded(t *testing.T) {
	temps, err := parseTemps(" 0.6 , 1.0 ")
	require.NoError(t, err)
	assert.Equal(t, []float64{0.6, 1.0}, temps)
	temps, err = parseTrainTemps("-temps", " 1 ,1")
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 1}, temps)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"simulate", "-system", "threehole", "-temps", "1e300", "-out", dir},
		{"generate", "-model", dir, "-temps", "1e300", "-out", dir},
		{"train", "-features", "a.npy", "-temps", "1e300", "-out", dir},
	} {
		r := runCLI(context.Background(), args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "≤ 1e+06", "%v", args)
		assert.Less(t, len(strings.SplitN(r.stderr, "\n", 2)[0]), 200, "%v: %q", args, r.stderr)
	}
}

// waitLocked waits until dir's lock file names a holder (the first writer
// has taken the lock).
func waitLocked(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, folderlock.Name)); err == nil && len(b) > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: the first writer never took its lock", dir)
}

// TestSecondWriterRefused reproduces item 3: simulate with seed 7 into a
// folder, and a second later simulate with seed 8 and -force into the same
// folder: the second gets a clear error naming the holder's PID (flock
// locks belong to open files, so an in-process writer conflicts as another
// process would), and the first run's folder is left to it. A shard and
// train are refused the same way (generate, evaluate and encode take the
// same lock through lockOut).
func TestSecondWriterRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := make(chan result)
	go func() {
		first <- runCLI(ctx, "simulate", "-system", "threehole", "-temps", "1", "-frames", "100000000", "-seed", "7", "-quiet", "-out", dir)
	}()
	waitLocked(t, dir)
	holder := "process " + strconv.Itoa(os.Getpid())
	for _, args := range [][]string{
		{"simulate", "-system", "threehole", "-temps", "1", "-frames", "100", "-seed", "8", "-force", "-quiet", "-out", dir},
		{"simulate", "-system", "threehole", "-temps", "1", "-frames", "100", "-seed", "8", "-shard", "0", "-quiet", "-out", dir},
		{"train", "-in", dir, "-out", dir},
	} {
		r := runCLI(context.Background(), args...)
		assert.Equal(t, 1, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "is being written by "+holder, "%v", args)
	}
	cancel()
	r := <-first
	assert.Equal(t, 130, r.code, r.stderr)
	// The lock is gone with its holder.
	l, err := folderlock.Exclusive(dir)
	require.NoError(t, err)
	require.NoError(t, l.Release())
}

// TestGenerateBounded reproduces item 4: -n 1e12 and -n MaxInt64 are
// refused up front (exit 2, a stated limit) instead of running out of
// memory or panicking in makeslice; a size that does not fit the disk is
// refused before sampling.
func TestGenerateBounded(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"1000000000000", "9223372036854775807"} {
		r := runCLI(context.Background(), "generate", "-model", dir, "-temps", "1", "-n", n, "-out", dir)
		assert.Equal(t, 2, r.code, r.stderr)
		assert.Contains(t, r.stderr, "above the limit of 4294967296")
	}
	r := runCLI(context.Background(), "generate", "-model", dir, "-vamp", "-n", "100000000", "-out", dir)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "-vamp draws")

	// 1000 temperatures × 2^32 × 2 float64 = 69 TB: more than any test
	// machine's free space.
	err := checkGenerateFits(dir, maxGenN, 2, 1000, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bytes free")
	require.NoError(t, checkGenerateFits(dir, 10, 2, 2, true))
}

// TestTrainOverwriteAndStale reproduces item 5 for train: a model folder of
// a different run is refused without -force; with -force, -phase spib over
// a D-SPIB folder leaves none of the D-SPIB outputs; an orphan temporary
// file of a killed run is removed by the rerun.
func TestTrainOverwriteAndStale(t *testing.T) {
	dir := t.TempDir()
	sim := smallSim(t, dir)
	model := filepath.Join(dir, "model")
	dspibArgs := append([]string{"train", "-in", sim, "-out", model}, quickTrain...)
	mustRun(t, dspibArgs...)
	for _, name := range []string{"losses_dspib.npy", "phase1", "fit.ckpt"} {
		assert.FileExists(t, filepath.Join(model, name)+map[bool]string{true: "/model.json"}[name == "phase1"])
	}
	// generate removes the samples its new generate.json no longer lists.
	gen := filepath.Join(dir, "gen")
	mustRun(t, "generate", "-model", model, "-temps", "1,1.5", "-n", "10", "-quiet", "-out", gen)
	require.NoError(t, os.WriteFile(filepath.Join(gen, "x.npy.part"), nil, 0o644))
	mustRun(t, "generate", "-model", model, "-temps", "1.2", "-n", "10", "-quiet", "-out", gen)
	assert.ElementsMatch(t, []string{"generated_kT1.200.npy", generateName}, mustContent(t, gen))

	// The same run again is allowed (it resumes or redoes the same bits),
	// and removes a temporary file left by a kill -9.
	orphan := filepath.Join(model, "fit.ckpt.tmp123456")
	require.NoError(t, os.WriteFile(orphan, []byte("x"), 0o644))
	mustRun(t, dspibArgs...)
	assert.NoFileExists(t, orphan)

	spibArgs := append([]string{"train", "-in", sim, "-out", model, "-phase", "spib"}, quickTrain...)
	r := runCLI(context.Background(), spibArgs...)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "holds a model of a different run")
	assert.FileExists(t, filepath.Join(model, "losses_dspib.npy"), "a refused train touches nothing")

	mustRun(t, append(spibArgs, "-force")...)
	// (fit.ckpt, if there, is the SPIB run's own checkpoint.)
	for _, name := range []string{"losses_dspib.npy", "phase1", "prior.ckpt"} {
		assert.NoFileExists(t, filepath.Join(model, name))
		assert.NoDirExists(t, filepath.Join(model, name))
	}
	assert.FileExists(t, filepath.Join(model, "losses_spib.npy"))

	// A folder of other files is not a model folder either.
	other := filepath.Join(dir, "other")
	require.NoError(t, os.MkdirAll(other, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), nil, 0o644))
	r = runCLI(context.Background(), append([]string{"train", "-in", sim, "-out", other}, quickTrain...)...)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "files of no model")
}

// mustContent lists dir without its lock files.
func mustContent(t *testing.T, dir string) []string {
	t.Helper()
	names, err := folderContent(dir)
	require.NoError(t, err)
	return names
}

// TestTrainNaNFeatures reproduces item 6: a NaN in an input file is
// reported naming the file and the frame, not by k-means ("point 50").
func TestTrainNaNFeatures(t *testing.T) {
	dir := t.TempDir()
	x := make([]float64, 100*2)
	for i := range x {
		x[i] = float64(i % 7)
	}
	f := filepath.Join(dir, "x.npy")
	require.NoError(t, traj.WriteNPY(f, 100, 2, x)) // refuses NaN: patch it in
	b := readFile(t, f)
	off := len(b) - 8*len(x) + 8*(2*50+1) // row 50, column 1 (little-endian <f8)
	binary.LittleEndian.PutUint64(b[off:], math.Float64bits(math.NaN()))
	require.NoError(t, os.WriteFile(f, b, 0o644))
	r := runCLI(context.Background(), append([]string{"train", "-features", f, "-temps", "1", "-out", filepath.Join(dir, "m")}, quickTrain...)...)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, f+": frame 50 (0-based), column 1 is NaN")
}

// TestModelManifest reproduces item 5's binding case: an SPIB checkpoint of
// the same shape from another model, swapped into a model folder, is
// refused by generate, encode and evaluate, naming the file.
func TestModelManifest(t *testing.T) {
	dir := t.TempDir()
	sim := smallSim(t, dir)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	mustRun(t, append([]string{"train", "-in", sim, "-out", a}, quickTrain...)...)
	mustRun(t, append([]string{"train", "-in", sim, "-out", b}, append(quickTrain, "-seed", "9")...)...)
	assert.FileExists(t, filepath.Join(a, "manifest.json"))
	mustRun(t, "generate", "-model", a, "-temps", "1", "-n", "10", "-quiet", "-out", filepath.Join(dir, "g"))

	require.NoError(t, os.WriteFile(filepath.Join(a, "spib.ckpt"), readFile(t, filepath.Join(b, "spib.ckpt")), 0o644))
	for _, args := range [][]string{
		{"generate", "-model", a, "-temps", "1", "-n", "10", "-quiet", "-out", filepath.Join(dir, "g")},
		{"encode", "-model", a, "-in", sim, "-out", filepath.Join(dir, "e")},
		{"evaluate", "-model", a, "-md", sim, "-out", filepath.Join(dir, "ev")},
	} {
		r := runCLI(context.Background(), args...)
		assert.Equal(t, 1, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, filepath.Join(a, "spib.ckpt")+" does not match the folder's manifest", "%v", args)
	}
}

// TestRunChecksums reproduces item 5's last case: a data file of a simulate
// folder swapped for another run's file of the same shape is detected when
// the folder is opened (train names it), and re-running the simulation
// runs that temperature again, restoring the original bits.
func TestRunChecksums(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	simA := []string{"simulate", "-system", "threehole", "-temps", "1,1.5", "-frames", "200", "-stride", "50", "-seed", "2", "-quiet", "-out", a}
	mustRun(t, simA...)
	mustRun(t, "simulate", "-system", "threehole", "-temps", "1,1.5", "-frames", "200", "-stride", "50", "-seed", "3", "-quiet", "-out", b)
	name := "traj_kT1.500.npy"
	orig := readFile(t, filepath.Join(a, name))
	require.NoError(t, os.WriteFile(filepath.Join(a, name), readFile(t, filepath.Join(b, name)), 0o644))

	r := runCLI(context.Background(), append([]string{"train", "-in", a, "-out", filepath.Join(dir, "m")}, quickTrain...)...)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, filepath.Join(a, name)+": SHA-256")
	assert.Contains(t, r.stderr, "replaced or changed")

	mustRun(t, simA...)
	assert.Equal(t, orig, readFile(t, filepath.Join(a, name)), "the rerun restores the run's own file")
}

// smallSim simulates the small three-hole folder dir/sim the train tests
// learn from (two temperatures, 1000 frames each) and returns its path.
func smallSim(t *testing.T, dir string) string {
	t.Helper()
	sim := filepath.Join(dir, "sim")
	mustRun(t, "simulate", "-system", "threehole", "-temps", "1,1.5", "-frames", "1000", "-stride", "50", "-seed", "2", "-quiet", "-out", sim)
	return sim
}
