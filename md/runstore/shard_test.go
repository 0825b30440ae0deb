package runstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/systems"
)

// shardConfig is the run the shard tests split: three LJ7 temperatures with
// features and XYZ, one Seed (so replica i's stream is PCG(7, i) and
// depends on its position in the list).
func shardConfig(dir string) Config {
	return Config{System: systems.LJ7, Temperatures: []float64{0.3, 0.5, 0.7}, Frames: 300, Stride: 5, Seed: 7, XYZ: true, Dir: dir,
		Checkpoint: time.Hour} // fewer fsyncs; an interrupted shard still checkpoints
}

// shardHelperEnv makes the test binary a shard process (see
// TestShardHelperProcess): "DIR INDEX".
const shardHelperEnv = "RUNSTORE_SHARD_HELPER"

// TestShardHelperProcess is not a test: run by TestShardsConcurrentProcesses
// as a child process with shardHelperEnv set, it simulates one shard.
func TestShardHelperProcess(t *testing.T) {
	arg := os.Getenv(shardHelperEnv)
	if arg == "" {
		t.Skip("helper process of TestShardsConcurrentProcesses")
	}
	dir, idx, _ := strings.Cut(arg, " ")
	i, err := strconv.Atoi(idx)
	require.NoError(t, err)
	require.NoError(t, SimulateShard(context.Background(), shardConfig(dir), i))
}

// Three shards run as three concurrent processes into one folder: each
// writes only its own files, the data files are byte-identical to a
// one-process run, Open reads the assembled folder with the one-process
// run's settings, and a plain Simulate afterwards reuses every temperature
// and writes metadata.json.
func TestShardsConcurrentProcesses(t *testing.T) {
	whole := t.TempDir()
	require.NoError(t, Simulate(context.Background(), shardConfig(whole)))
	dir := t.TempDir()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestShardHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", shardHelperEnv, dir, i))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		cmds, outs = append(cmds, cmd), append(outs, &out)
	}
	errs := make([]error, len(cmds))
	for i, cmd := range cmds {
		errs[i] = cmd.Wait() // all, before any assertion can stop the test
	}
	for i, err := range errs {
		require.NoError(t, err, "shard %d:\n%s", i, outs[i])
	}

	// The folder holds the whole run's files minus metadata.json, plus one
	// marker per shard, and nothing else (no .part, checkpoint, temp file).
	var want []string
	for _, name := range testutil.ListDir(t, whole) {
		if name != MetadataName {
			want = append(want, name)
		}
	}
	for _, kT := range []float64{0.3, 0.5, 0.7} {
		want = append(want, ShardMarkerName(kT))
	}
	assert.ElementsMatch(t, want, testutil.ListDir(t, dir))
	for _, name := range testutil.ListDir(t, whole) {
		if name != MetadataName {
			assert.Equal(t, readFile(t, filepath.Join(whole, name)), readFile(t, filepath.Join(dir, name)), "%s of the shards differs from the one-process run", name)
		}
	}

	run, err := Open(dir)
	require.NoError(t, err)
	ref, err := Open(whole)
	require.NoError(t, err)
	diffs, err := metadataDiff(ref.Meta, run.Meta)
	require.NoError(t, err)
	assert.Empty(t, diffs)
	assert.Equal(t, true, run.Meta.Extra[ExtraComplete])
	assert.NotContains(t, run.Meta.Extra, ExtraShard)
	assert.True(t, Complete(shardConfig(dir)))

	// A plain Simulate of the same run merges: it runs nothing and writes
	// metadata.json.
	log := mustSimulate(t, shardConfig(dir), dir)
	assert.Contains(t, log, "nothing to run")
	assert.FileExists(t, filepath.Join(dir, MetadataName))
	_, err = Open(dir)
	require.NoError(t, err)
}

// Open refuses a folder whose shards are not all complete, naming each
// missing one: shard 1 never ran, shard 2 was interrupted. Re-running
// shard 2 resumes it from its checkpoint; the result is byte-identical.
func TestShardsIncomplete(t *testing.T) {
	whole := t.TempDir()
	require.NoError(t, Simulate(context.Background(), shardConfig(whole)))
	dir := t.TempDir()
	require.NoError(t, SimulateShard(context.Background(), shardConfig(dir), 0))

	ctx, cancel := context.WithCancel(context.Background())
	cfg := shardConfig(dir)
	cfg.testObserver = func(int) md.Observer { return &cancelAt{step: 1000, cancel: cancel} }
	err := SimulateShard(ctx, cfg, 2)
	cancel()
	require.ErrorIs(t, err, context.Canceled)
	assert.FileExists(t, filepath.Join(dir, checkpointName(0.7)))

	_, err = Open(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "2 of 3 shards missing")
	assert.Contains(t, err.Error(), "shard 1 (kT 0.5, shard_kT0.500.json): not started")
	assert.Contains(t, err.Error(), "shard 2 (kT 0.7, shard_kT0.700.json): started, not complete")
	assert.NotContains(t, err.Error(), "shard 0")
	assert.False(t, Complete(shardConfig(dir)))

	var log bytes.Buffer
	cfg = shardConfig(dir)
	cfg.Log = &log
	require.NoError(t, SimulateShard(context.Background(), cfg, 2))
	assert.Contains(t, log.String(), "resuming from its checkpoint at step 1000")
	_, err = Open(dir)
	assert.ErrorContains(t, err, "shard 1 (kT 0.5")
	require.NoError(t, SimulateShard(context.Background(), shardConfig(dir), 1))
	_, err = Open(dir)
	require.NoError(t, err)
	for _, name := range testutil.ListDir(t, whole) {
		if name != MetadataName {
			assert.Equal(t, readFile(t, filepath.Join(whole, name)), readFile(t, filepath.Join(dir, name)), name)
		}
	}
	// A complete shard is not run again.
	log.Reset()
	require.NoError(t, SimulateShard(context.Background(), cfg, 0))
	assert.Contains(t, log.String(), "shard 0 (kT0.300) already complete")
}

// A shard refuses what could destroy other shards' work or mix runs: an
// index out of range, Force, and a folder holding another run's metadata
// or markers.
func TestShardRefusals(t *testing.T) {
	dir := t.TempDir()
	err := SimulateShard(context.Background(), shardConfig(dir), 3)
	assert.ErrorContains(t, err, "shard 3: the run has 3 temperatures")
	err = SimulateShard(context.Background(), shardConfig(dir), -1)
	assert.ErrorContains(t, err, "shard -1")
	cfg := shardConfig(dir)
	cfg.Force = true
	assert.ErrorContains(t, SimulateShard(context.Background(), cfg, 0), "Force cannot be used with a shard")
	assert.Empty(t, testutil.ListDir(t, dir), "refusals write nothing")

	cfg = shardConfig(dir)
	cfg.Frames = 20
	require.NoError(t, SimulateShard(context.Background(), cfg, 0))
	err = SimulateShard(context.Background(), shardConfig(dir), 1) // 300 frames: another run
	require.ErrorIs(t, err, ErrFolder)
	assert.ErrorContains(t, err, "shard_kT0.300.json")
	assert.ErrorContains(t, err, "frames")

	// A whole run's metadata.json with other settings is refused too.
	other := t.TempDir()
	cfg = shardConfig(other)
	cfg.Seed = 8
	cfg.Frames = 20
	require.NoError(t, Simulate(context.Background(), cfg))
	err = SimulateShard(context.Background(), shardConfig(other), 1)
	require.ErrorIs(t, err, ErrFolder)
	assert.ErrorContains(t, err, MetadataName)

	// Markers of two runs in one folder: Open says so.
	mixed := t.TempDir()
	cfg = shardConfig(mixed)
	cfg.Frames = 20
	require.NoError(t, SimulateShard(context.Background(), cfg, 0))
	cfg.Seed = 9
	var m bytes.Buffer
	cfg.Log = &m
	other2 := t.TempDir()
	cfg.Dir = other2
	require.NoError(t, SimulateShard(context.Background(), cfg, 1))
	require.NoError(t, os.Rename(filepath.Join(other2, ShardMarkerName(0.5)), filepath.Join(mixed, ShardMarkerName(0.5))))
	_, err = Open(mixed)
	assert.ErrorContains(t, err, "different runs")
	assert.False(t, errors.Is(err, os.ErrNotExist))
}

// MALA run as shards: the assembled metadata records the acceptance of
// every temperature, equal to a one-process run's, and a complete shard
// run again keeps its own.
func TestShardsMergeAcceptance(t *testing.T) {
	mala := func(dir string) Config {
		c := shardConfig(dir)
		c.Integrator, c.XYZ = "mala", false
		return c
	}
	whole := t.TempDir()
	require.NoError(t, Simulate(context.Background(), mala(whole)))
	want, err := Open(whole)
	require.NoError(t, err)
	dir := t.TempDir()
	for i := range 3 {
		require.NoError(t, SimulateShard(context.Background(), mala(dir), i))
	}
	require.NoError(t, SimulateShard(context.Background(), mala(dir), 1)) // complete: nothing runs
	got, err := Open(dir)
	require.NoError(t, err)
	acc, ok := got.Meta.Extra[ExtraAcceptance].(map[string]any)
	require.True(t, ok, "no acceptance in the assembled metadata: %v", got.Meta.Extra)
	assert.Len(t, acc, 3)
	assert.Equal(t, want.Meta.Extra[ExtraAcceptance], acc)
}
