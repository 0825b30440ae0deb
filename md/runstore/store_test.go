package runstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/md/traj"
	"github.com/dspib/dspib/potentials"
	"github.com/dspib/dspib/systems"
)

// mustSimulate runs cfg into dir and returns its notes.
func mustSimulate(t *testing.T, cfg Config, dir string) string {
	t.Helper()
	var log bytes.Buffer
	cfg.Dir, cfg.Log = dir, &log
	require.NoError(t, Simulate(context.Background(), cfg), log.String())
	return log.String()
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// The stored potential energy of every frame is the potential evaluated on
// the stored frame, bit for bit (the integrators compute U with the force
// at the frame's positions), for a one-particle system and for LJ7 (a sum
// of two terms).
func TestEnergies(t *testing.T) {
	for _, sys := range []*systems.System{systems.ThreeHole, systems.LJ7} {
		dir := t.TempDir()
		mustSimulate(t, Config{System: sys, Temperatures: []float64{0.5}, Frames: 200, Stride: 3}, dir)
		run, err := Open(dir)
		require.NoError(t, err)
		x, n, cols, err := run.Frames(0.5)
		require.NoError(t, err)
		u, err := run.Energies(0.5)
		require.NoError(t, err)
		require.Len(t, u, n)
		f := make([]float64, cols)
		for i := range n {
			want := sys.Potential.Force(f, x[i*cols:(i+1)*cols])
			require.Equal(t, math.Float64bits(want), math.Float64bits(u[i]), "%s frame %d: U %v, want %v", sys.Name, i, u[i], want)
		}
	}
}

// Per-temperature seeds: replica i uses the stream PCG(Seeds[i], 0) of a
// run of its temperature alone, whatever the other temperatures and their
// order, and the seeds are recorded; one Seed gives replica i PCG(Seed, i).
func TestSeeds(t *testing.T) {
	run := func(temps []float64, seed uint64, seeds []uint64) string {
		dir := t.TempDir()
		mustSimulate(t, Config{System: systems.ThreeHole, Temperatures: temps, Frames: 50, Seed: seed, Seeds: seeds}, dir)
		return dir
	}
	both := run([]float64{0.6, 1}, 0, []uint64{5, 6})
	swapped := run([]float64{1, 0.6}, 0, []uint64{6, 5})
	alone06, alone1 := run([]float64{0.6}, 5, nil), run([]float64{1}, 6, nil)
	shared := run([]float64{0.6, 1}, 5, nil)
	for _, name := range []string{"traj_kT0.600.npy", "traj_kT1.000.npy"} {
		assert.Equal(t, readFile(t, filepath.Join(both, name)), readFile(t, filepath.Join(swapped, name)), name)
	}
	assert.Equal(t, readFile(t, filepath.Join(alone06, "traj_kT0.600.npy")), readFile(t, filepath.Join(both, "traj_kT0.600.npy")))
	assert.Equal(t, readFile(t, filepath.Join(alone1, "traj_kT1.000.npy")), readFile(t, filepath.Join(both, "traj_kT1.000.npy")))
	// One Seed: replica 1 uses PCG(5, 1), not the PCG(5, 0) of a run alone.
	assert.Equal(t, readFile(t, filepath.Join(alone06, "traj_kT0.600.npy")), readFile(t, filepath.Join(shared, "traj_kT0.600.npy")))
	assert.NotEqual(t, readFile(t, filepath.Join(run([]float64{1}, 5, nil), "traj_kT1.000.npy")), readFile(t, filepath.Join(shared, "traj_kT1.000.npy")))
	r, err := Open(both)
	require.NoError(t, err)
	assert.Equal(t, []uint64{5, 6}, r.Meta.Seeds)

	cfg := Config{System: systems.ThreeHole, Seeds: []uint64{1}, Dir: t.TempDir()}
	assert.ErrorContains(t, cfg.Validate(), "Config.Seeds")
}

// The metadata records the potential with its full parameters, the
// integrator with its settings, the label features and the caller's Extra.
func TestMetadataSchema(t *testing.T) {
	dir := t.TempDir()
	mustSimulate(t, Config{System: systems.LJ7, Temperatures: []float64{0.3}, Frames: 5, Stride: 2, Integrator: "mala", Dt: 0.001,
		Extra: map[string]any{"kind": "ref"}}, dir)
	run, err := Open(dir)
	require.NoError(t, err)
	m := run.Meta
	var pot struct {
		Terms []struct {
			Type   string             `json:"type"`
			Params map[string]float64 `json:"params"`
		} `json:"terms"`
		Parameters map[string]string `json:"parameters"`
	}
	require.NoError(t, json.Unmarshal(m.Potential, &pot))
	require.Len(t, pot.Terms, 2)
	assert.Equal(t, map[string]float64{"Dim": 2, "R2": 4, "Kappa": 100}, pot.Terms[1].Params)
	assert.Contains(t, pot.Parameters["lennard_jones"], "no cutoff")
	assert.Equal(t, traj.IntegratorInfo{Name: "MALA", Dt: 0.001, Gamma: 1, Mass: 1}, m.Integrator)
	assert.Equal(t, "ref", m.Extra["kind"])
	assert.Equal(t, 7, run.N)
	assert.Equal(t, 2, run.Dim)
	assert.Equal(t, LabelInfo{File: "moments", Names: []string{"μ2", "μ3"}, Standardize: true}, run.Labels)
	s, ok := run.System()
	require.True(t, ok)
	assert.Same(t, systems.LJ7, s)
	_, _, _, err = run.Features(0.4)
	assert.ErrorContains(t, err, "no temperature kT = 0.4")

	// Other Extra is another run: refused, then replaced with Force.
	cfg := Config{System: systems.LJ7, Temperatures: []float64{0.3}, Frames: 5, Stride: 2, Integrator: "mala", Dt: 0.001,
		Extra: map[string]any{"kind": "train"}, Dir: dir}
	err = Simulate(context.Background(), cfg)
	assert.ErrorIs(t, err, ErrFolder)
	assert.ErrorContains(t, err, "extra")
}

// Writing a frame allocates nothing (between feature chunks).
func TestObserveAllocs(t *testing.T) {
	cfg, err := Config{System: systems.LJ7, Temperatures: []float64{0.5}, Frames: 100, Stride: 1, XYZ: true, Dir: t.TempDir()}.withDefaults()
	require.NoError(t, err)
	w, err := newReplicaWriter(cfg, 0.5)
	require.NoError(t, err)
	defer w.abort()
	st := &md.State{X: potentials.LJ7Hexagon()}
	require.NoError(t, w.Observe(st)) // grows the XYZ line buffer
	if a := testing.AllocsPerRun(200, func() {
		st.Step++
		if err := w.Observe(st); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Observe allocates %v times per frame", a)
	}
	if w.nbuf == 0 {
		t.Fatal("test crossed a feature chunk boundary; shorten it")
	}
}

// cancelAt is a test observer that cancels the run when it reaches step
// (never if step is 0).
type cancelAt struct {
	step   int64
	cancel func()
}

func (c *cancelAt) Every() int64 { return c.step }
func (c *cancelAt) Observe(st *md.State) error {
	if st.Step == c.step {
		c.cancel()
	}
	return nil
}

// An interrupted run continues from its checkpoints and ends byte-identical
// to an uninterrupted one. Replica 0 is cancelled at step 5000 of 6000
// (frame 1250, past the first 1024-frame feature chunk); replica 1 stops
// wherever it sees the cancellation. Then junk is appended to every .part
// file, as a run killed after its last checkpoint would leave frames the
// checkpoint does not cover, and the same run is repeated: it must
// truncate them, rebuild the XYZ file and continue the random streams
// exactly. With Checkpoint 0 periodic checkpoints are written too; with 1h
// only the one at the cancellation.
func TestSimulateResume(t *testing.T) {
	for _, tc := range []struct {
		integ string
		every time.Duration
	}{{"baoab", 0}, {"mala", time.Hour}} {
		cfg := Config{System: systems.LJ7, Temperatures: []float64{0.2, 0.5}, Frames: 1500, Stride: 4, XYZ: true,
			Integrator: tc.integ, Checkpoint: tc.every}
		fresh := t.TempDir()
		mustSimulate(t, cfg, fresh)

		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		icfg := cfg
		icfg.Dir = dir
		icfg.testObserver = func(i int) md.Observer { return &cancelAt{step: int64(5000 * (1 - i)), cancel: cancel} }
		err := Simulate(ctx, icfg)
		cancel()
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "checkpoints") {
			t.Fatalf("%s: interrupted run returned %v", tc.integ, err)
		}
		names := testutil.ListDir(t, dir)
		require.Contains(t, testutil.WithSuffix(names, ".bin"), checkpointName(0.2), "%s: no checkpoint for kT 0.2 after the interruption", tc.integ)
		for _, name := range testutil.WithSuffix(names, traj.PartSuffix) {
			// 3 rows of 14 float64 are also whole rows of the 7-, 2- and
			// 1-column files (336 = 6·56 = 21·16 = 42·8 bytes); 0x3f3f… is a
			// finite double. The XYZ file gets the start of a bogus frame.
			junk := bytes.Repeat([]byte{0x3f}, 3*14*8)
			if strings.Contains(name, ".xyz") {
				junk = []byte("7\nProperties=species:S:1:pos:R:3 junk\n")
			}
			f, err := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.Write(junk)
			require.NoError(t, errors.Join(err, f.Close()))
		}

		log := mustSimulate(t, cfg, dir)
		if !strings.Contains(log, "kT0.200: resuming from its checkpoint at step 5000 of 6000 (1250 frames kept)") ||
			strings.Contains(log, "cannot resume") {
			t.Errorf("%s: the re-run did not resume kT 0.2 at step 5000:\n%s", tc.integ, log)
		}
		if log := mustSimulate(t, cfg, dir); !strings.Contains(log, "nothing to run") {
			t.Errorf("%s: a third run should find everything complete:\n%s", tc.integ, log)
		}
		for _, name := range testutil.ListDir(t, fresh) {
			if name == MetadataName {
				continue
			}
			if !bytes.Equal(readFile(t, filepath.Join(dir, name)), readFile(t, filepath.Join(fresh, name))) {
				t.Errorf("%s: %s after interruption and resume differs from the uninterrupted run", tc.integ, name)
			}
		}
		if left := append(testutil.WithSuffix(testutil.ListDir(t, dir), ".bin"), testutil.WithSuffix(testutil.ListDir(t, dir), traj.PartSuffix)...); len(left) > 0 {
			t.Errorf("%s: left %v after completing", tc.integ, left)
		}
	}
}

// A checkpoint that cannot be used (corrupt) is reported and the
// temperature starts over, still producing the uninterrupted result; a
// checkpoint left in a folder that Force takes over for other settings is
// removed, never resumed.
func TestSimulateResumeFallback(t *testing.T) {
	cfg := Config{System: systems.ThreeHole, Temperatures: []float64{0.6}, Frames: 500, Seed: 4}
	fresh := t.TempDir()
	mustSimulate(t, cfg, fresh)
	interrupt := func(dir string) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		icfg := cfg
		icfg.Dir = dir
		icfg.testObserver = func(int) md.Observer { return &cancelAt{step: 2000, cancel: cancel} }
		if err := Simulate(ctx, icfg); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted run returned %v", err)
		}
	}

	dir := t.TempDir()
	interrupt(dir)
	ck := filepath.Join(dir, checkpointName(0.6))
	b := readFile(t, ck)
	b[100] ^= 0xff
	require.NoError(t, os.WriteFile(ck, b, 0o644))
	log := mustSimulate(t, cfg, dir)
	if !strings.Contains(log, "kT0.600: cannot resume from "+checkpointName(0.6)) || !strings.Contains(log, "checksum") {
		t.Errorf("corrupt checkpoint not reported:\n%s", log)
	}
	name := "traj_kT0.600.npy"
	assert.Equal(t, readFile(t, filepath.Join(fresh, name)), readFile(t, filepath.Join(dir, name)), "after starting over")

	other := t.TempDir()
	interrupt(other)
	ocfg := cfg
	ocfg.Seed, ocfg.Force = 5, true
	log = mustSimulate(t, ocfg, other)
	assert.NotContains(t, log, "resuming", "resumed a checkpoint of another seed")
	assert.Empty(t, testutil.WithSuffix(testutil.ListDir(t, other), ".bin"), "checkpoints left after Force")
}

// Bad configurations name the field before any file is written.
func TestConfigErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.System = nil }, "Config.System"},
		{func(c *Config) { c.Temperatures = []float64{} }, "Config.Temperatures"},
		{func(c *Config) { c.Temperatures = []float64{1, -1} }, "Config.Temperatures[1]"},
		{func(c *Config) { c.Frames = -1 }, "Config.Frames"},
		{func(c *Config) { c.Dt = math.Inf(1) }, "Config.Dt"},
		{func(c *Config) { c.Integrator = "rk4" }, "rk4"},
		{func(c *Config) { c.Dir = "" }, "Config.Dir"},
	} {
		c := Config{System: systems.ThreeHole, Dir: dir}
		tc.mod(&c)
		assert.ErrorContains(t, Simulate(context.Background(), c), tc.want)
	}
	_, err := os.Stat(dir)
	assert.True(t, os.IsNotExist(err), "folder created despite bad settings")
	assert.True(t, slices.Equal(IntegratorNames(), []string{"baoab", "overdamped", "mala"}))
}

// The default time step depends on the scheme: a first-order scheme
// (overdamped, MALA) takes the system's DtOverdamped when it has one, BAOAB
// its Dt; an explicit Dt always wins.
func TestDefaultDtPerScheme(t *testing.T) {
	for _, tc := range []struct {
		sys        *systems.System
		integrator string
		dt, want   float64
	}{
		{systems.LJ7, "baoab", 0, systems.LJ7.Dt},
		{systems.LJ7, "overdamped", 0, systems.LJ7.DtOverdamped},
		{systems.LJ7, "mala", 0, systems.LJ7.DtOverdamped},
		{systems.LJ7, "mala", 0.002, 0.002},
		{systems.ThreeHole, "overdamped", 0, systems.ThreeHole.Dt},
	} {
		c, err := Config{System: tc.sys, Integrator: tc.integrator, Dt: tc.dt, Dir: t.TempDir()}.withDefaults()
		require.NoError(t, err)
		assert.Equal(t, tc.want, c.Dt, "%s %s dt %v", tc.sys.Name, tc.integrator, tc.dt)
	}
	require.Greater(t, systems.LJ7.DtOverdamped, 0.0)
}
