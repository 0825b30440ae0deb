package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dspib/dspib"
	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/md/runstore"
	"github.com/dspib/dspib/md/traj"
	"github.com/dspib/dspib/potentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A three-hole run writes one (frames × 2) trajectory per temperature whose
// frames are bit for bit those of replica i run directly through package md
// (stream (seed, i), BAOAB at the docs/systems.md defaults), and a metadata file
// that records every setting.
func TestSimulateThreeHole(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	const frames = 400
	mustRun(t, "simulate", "-system", "threehole", "-temps", "0.6,1", "-frames", "400", "-seed", "7", "-quiet", "-out", dir)

	names := testutil.ListDir(t, dir)
	want := []string{"energy_kT0.600.npy", "energy_kT1.000.npy", "metadata.json", "traj_kT0.600.npy", "traj_kT1.000.npy"}
	require.Equal(t, want, names, "files")
	temps := []float64{0.6, 1}
	sys := &md.System{Potential: potentials.ThreeHole{}, Masses: []float64{1}, Dim: 2}
	reps := md.Replicas{System: sys, Temperatures: temps, X0: []float64{-1.05, -0.04}, Seed: 7}
	for i, kT := range temps {
		got := readNPY(t, filepath.Join(dir, "traj_"+traj.TempTag(kT)+".npy"), frames, 2)
		st, err := reps.NewReplicaState(i)
		require.NoError(t, err)
		var sink md.MemorySink
		require.NoError(t, md.Run(context.Background(), sys, &integrators.BAOAB{KT: kT, Dt: 0.01, Gamma: 1}, st, frames*10,
			&md.Recorder{Sink: &sink, Stride: 10}))
		assert.True(t, slices.Equal(got, sink.Data), "kT=%v: stored trajectory differs from md.Run of replica %d", kT, i)
	}

	m, err := traj.ReadMetadata(filepath.Join(dir, runstore.MetadataName))
	require.NoError(t, err)
	assert.True(t, m.System == "three-hole" && slices.Equal(m.Temperatures, temps) && m.Stride == 10 &&
		m.Steps == frames*10 && m.Frames == frames && m.Version == dspib.Version &&
		slices.Equal(m.Seeds, []uint64{7, 7}), "metadata %+v", m)
	in := m.Integrator
	assert.True(t, in.Name == "BAOAB" && in.Dt == 0.01 && in.Gamma == 1 && in.Mass == 1 && in.Params == nil,
		"integrator %+v, want BAOAB dt 0.01 gamma 1 mass 1", m.Integrator)
	assert.True(t, m.Files["traj_kT0.600"] == "traj_kT0.600.npy" && m.Files["traj_kT1.000"] == "traj_kT1.000.npy" &&
		m.Files["energy_kT1.000"] == "energy_kT1.000.npy" && len(m.Files) == 4, "files %v", m.Files)
	c, _ := m.Extra[runstore.ExtraComplete].(bool)
	assert.True(t, c, "extra.complete = %v, want true", m.Extra[runstore.ExtraComplete])
	assert.False(t, time.Since(m.Created) > time.Hour || time.Until(m.Created) > time.Minute, "created %v is not now", m.Created)
}

// An LJ7 run writes trajectories, sorted coordination numbers, their
// moments and extended XYZ. The features are recomputed here from the stored
// frames with the switching function written out, over more frames than one
// feature chunk so that chunk boundaries and the last partial chunk count.
func TestSimulateLJ7(t *testing.T) {
	dir := t.TempDir()
	const frames, stride = 1024 + 476, 5 // past one 1024-frame feature chunk of the run store
	mustRun(t, "simulate", "-system", "lj7", "-temps", "0.2,0.5", "-frames", "1500", "-stride", "5", "-xyz", "-quiet", "-out", dir)

	for _, kT := range []float64{0.2, 0.5} {
		tag := traj.TempTag(kT)
		x := readNPY(t, filepath.Join(dir, "traj_"+tag+".npy"), frames, 14)
		feat := readNPY(t, filepath.Join(dir, "features_"+tag+".npy"), frames, 7)
		mom := readNPY(t, filepath.Join(dir, "moments_"+tag+".npy"), frames, 2)
		for f := 0; f < frames; f++ {
			fr := x[f*14 : (f+1)*14]
			var c [7]float64
			for i := 0; i < 7; i++ {
				for j := 0; j < 7; j++ {
					if i != j {
						r := math.Hypot(fr[2*i]-fr[2*j], fr[2*i+1]-fr[2*j+1])
						c[i] += 1 / (1 + math.Pow(r/1.5, 8))
					}
				}
			}
			slices.Sort(c[:])
			row := feat[f*7 : (f+1)*7]
			for i := range c {
				// Pair sums in a different order and Pow vs products: a few ulp.
				require.True(t, testutil.InDelta(t, c[i], row[i], 1e-12, "%s frame %d: feature %d", tag, f, i))
			}
			var mean, m2, m3 float64
			for _, v := range c {
				mean += v / 7
			}
			for _, v := range c {
				m2 += (v - mean) * (v - mean) / 7
				m3 += (v - mean) * (v - mean) * (v - mean) / 7
			}
			require.True(t, testutil.InDelta(t, m2, mom[2*f], 1e-12, "%s frame %d: μ2", tag, f))
			require.True(t, testutil.InDelta(t, m3, mom[2*f+1], 1e-12, "%s frame %d: μ3", tag, f))
		}
		xyz, err := traj.ReadXYZ(filepath.Join(dir, "traj_"+tag+".xyz"))
		require.NoError(t, err)
		require.Len(t, xyz, frames, "%s: XYZ frames", tag)
		for _, f := range []int{0, frames / 2, frames - 1} {
			fr := xyz[f]
			for i := 0; i < 7; i++ {
				require.True(t, fr.Pos[3*i] == x[f*14+2*i] && fr.Pos[3*i+1] == x[f*14+2*i+1] && fr.Pos[3*i+2] == 0,
					"%s: XYZ frame %d particle %d at %v, npy has %v", tag, f, i, fr.Pos[3*i:3*i+3], x[f*14+2*i:f*14+2*i+2])
			}
			assert.Equal(t, strconv.Itoa((f+1)*stride), fr.Info["step"], "%s: XYZ frame %d: step", tag, f)
		}
	}
	m, err := traj.ReadMetadata(filepath.Join(dir, runstore.MetadataName))
	require.NoError(t, err)
	assert.True(t, m.System == "lj7-2d" && m.Integrator.Dt == 0.005 && m.Integrator.Gamma == 1 && m.Stride == stride && len(m.Files) == 10,
		"metadata: system %q, integrator %+v, stride %d, files %v", m.System, m.Integrator, m.Stride, m.Files)
	for role, name := range m.Files {
		_, err := os.Stat(filepath.Join(dir, name))
		assert.NoError(t, err, "role %s", role)
	}
}

// Leaving the numeric flags out gives the docs/systems.md defaults (three-hole:
// dt 0.01, stride 10, γ 1, start (−1.05, −0.04); LJ7: dt 0.005, stride 100,
// start at the hexagon); -steps is an alternative to -frames.
func TestSimulateDefaults(t *testing.T) {
	for _, tc := range []struct {
		system, meta string
		dt           float64
		stride       int
		x0           []float64
	}{
		{"threehole", "three-hole", 0.01, 10, []float64{-1.05, -0.04}},
		{"lj7", "lj7-2d", 0.005, 100, potentials.LJ7Hexagon()},
	} {
		dir := t.TempDir()
		mustRun(t, "simulate", "-system", tc.system, "-temps", "0.5", "-steps", strconv.Itoa(3*tc.stride), "-quiet", "-out", dir)
		m, err := traj.ReadMetadata(filepath.Join(dir, runstore.MetadataName))
		require.NoError(t, err)
		assert.True(t, m.System == tc.meta && m.Integrator.Dt == tc.dt && m.Integrator.Gamma == 1 && m.Stride == tc.stride && m.Frames == 3,
			"%s: metadata %+v", tc.system, m)
		x0, _ := m.Extra[runstore.ExtraX0].([]any)
		require.Len(t, x0, len(tc.x0), "%s: x0 %v, want %v", tc.system, x0, tc.x0)
		for i, v := range x0 {
			if !assert.Equal(t, tc.x0[i], v.(float64), "%s: x0[%d] (x0 %v, want %v)", tc.system, i, x0, tc.x0) {
				break
			}
		}
	}
}

// The same command gives byte-identical files (the folder's metadata differs
// only in its creation time); another seed gives another trajectory.
func TestSimulateDeterministic(t *testing.T) {
	args := []string{"simulate", "-system", "lj7", "-temps", "0.3,0.4", "-frames", "200", "-stride", "10", "-quiet", "-seed", "3", "-out"}
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	mustRun(t, append(args, a)...)
	mustRun(t, append(args, b)...)
	args[len(args)-2] = "4"
	mustRun(t, append(args, c)...)
	for _, name := range []string{"traj_kT0.300.npy", "features_kT0.400.npy", "moments_kT0.300.npy"} {
		assert.True(t, bytes.Equal(readFile(t, filepath.Join(a, name)), readFile(t, filepath.Join(b, name))), "%s differs between two runs with the same seed", name)
		assert.False(t, bytes.Equal(readFile(t, filepath.Join(a, name)), readFile(t, filepath.Join(c, name))), "%s is the same for seeds 3 and 4", name)
	}
}

// Re-running the same command reuses complete temperatures without touching
// their files; a temperature whose file is missing is run again and, because
// replica i keeps its stream (seed, i), reproduces the lost file exactly.
func TestSimulateReuse(t *testing.T) {
	dir := t.TempDir()
	args := []string{"simulate", "-system", "threehole", "-temps", "0.6,0.8,1", "-frames", "300", "-out", dir}
	mustRun(t, args...)
	orig := map[string][]byte{}
	stat := map[string]os.FileInfo{}
	for _, kT := range []float64{0.6, 0.8, 1} {
		name := "traj_" + traj.TempTag(kT) + ".npy"
		orig[name] = readFile(t, filepath.Join(dir, name))
		stat[name], _ = os.Stat(filepath.Join(dir, name))
	}
	meta1 := readFile(t, filepath.Join(dir, runstore.MetadataName))

	r := mustRun(t, args...)
	assert.True(t, strings.Contains(r.stderr, "nothing to run") && strings.Count(r.stderr, "reusing") == 3,
		"second run did not say it reuses all three:\n%s", r.stderr)
	for name, fi := range stat {
		now, _ := os.Stat(filepath.Join(dir, name))
		assert.True(t, os.SameFile(fi, now) && now.ModTime().Equal(fi.ModTime()), "%s was rewritten by the second run", name)
	}
	assert.Equal(t, meta1, readFile(t, filepath.Join(dir, runstore.MetadataName)), "metadata.json changed on reuse (creation time must be kept)")

	require.NoError(t, os.Remove(filepath.Join(dir, "traj_kT0.800.npy")))
	r = mustRun(t, args...)
	assert.True(t, strings.Count(r.stderr, "reusing") == 2 && strings.Contains(r.stderr, "kT0.800: "),
		"third run should reuse kT0.600, kT1.000 and run kT0.800:\n%s", r.stderr)
	for name, b := range orig {
		assert.True(t, bytes.Equal(b, readFile(t, filepath.Join(dir, name))), "%s differs after the re-run", name)
	}
	assert.False(t, slices.ContainsFunc(testutil.ListDir(t, dir), func(n string) bool { return strings.HasSuffix(n, traj.PartSuffix) }),
		"left .part files: %v", testutil.ListDir(t, dir))
}

// Different settings into a used folder are refused, naming -out and the
// differing setting; -force replaces the old run (its files are removed).
// A non-empty folder without metadata.json is refused too.
func TestSimulateFolderConflicts(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "simulate", "-system", "threehole", "-temps", "0.6,1", "-frames", "50", "-quiet", "-out", dir)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-temps", "0.6,1.2"}, "temperatures"},
		{[]string{"-temps", "0.6,1", "-dt", "0.02"}, "integrator"},
		{[]string{"-temps", "0.6,1", "-seed", "2"}, "seeds"},
		{[]string{"-temps", "0.6,1", "-xyz"}, "-xyz"},
	} {
		args := append([]string{"simulate", "-system", "threehole", "-frames", "50", "-quiet", "-out", dir}, tc.args...)
		r := runCLI(context.Background(), args...)
		assert.Equal(t, 2, r.code, "%v: exit status", tc.args)
		for _, part := range []string{"-out", tc.want, "-force"} {
			assert.Contains(t, r.stderr, part, "%v: stderr", tc.args)
		}
	}
	mustRun(t, "simulate", "-system", "threehole", "-temps", "0.6,1.2", "-frames", "50", "-quiet", "-force", "-out", dir)
	assert.Equal(t, []string{"energy_kT0.600.npy", "energy_kT1.200.npy", "metadata.json", "traj_kT0.600.npy", "traj_kT1.200.npy"}, testutil.ListDir(t, dir),
		"after -force: files")

	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644))
	r := runCLI(context.Background(), "simulate", "-system", "threehole", "-frames", "50", "-quiet", "-out", other)
	assert.Equal(t, 2, r.code, "non-empty folder: exit status")
	assert.Contains(t, r.stderr, "-out", "non-empty folder: stderr")
	assert.Contains(t, r.stderr, "not empty", "non-empty folder: stderr")
	mustRun(t, "simulate", "-system", "threehole", "-temps", "1", "-frames", "50", "-quiet", "-force", "-out", other)
	assert.Equal(t, "mine", string(readFile(t, filepath.Join(other, "notes.txt"))), "-force touched a file that is not the run's")
}

// Bad flags exit with status 2 and an error naming the flag, before any
// file is written.
func TestSimulateBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"-temps", "0"}, "-temps"},
		{[]string{"-temps", "0.5,-1"}, "-temps"},
		{[]string{"-temps", "0.5,abc"}, "-temps"},
		{[]string{"-temps", "0.5,0.5"}, "-temps"},
		{[]string{"-temps", ""}, "-temps"},
		{[]string{"-temps", "NaN"}, "-temps"},
		{[]string{"-dt", "0"}, "-dt"},
		{[]string{"-dt", "-0.01"}, "-dt"},
		{[]string{"-dt", "abc"}, "-dt"},
		{[]string{"-gamma", "0"}, "-gamma"},
		{[]string{"-stride", "0"}, "-stride"},
		{[]string{"-stride", "-3"}, "-stride"},
		{[]string{"-frames", "0"}, "-frames"},
		{[]string{"-steps", "-10"}, "-steps"},
		{[]string{"-steps", "15", "-stride", "10"}, "-steps"},
		{[]string{"-steps", "100", "-frames", "5", "-stride", "10"}, "-frames"},
		{[]string{"-frames", "9223372036854775807"}, "-frames"},
		{[]string{"-integrator", "rk4"}, "-integrator"},
		{[]string{"-checkpoint", "-1s"}, "-checkpoint"},
		{[]string{"-checkpoint", "often"}, "-checkpoint"},
		{[]string{"-system", "argon"}, "-system"},
		{[]string{"-system", ""}, "-system"},
		{[]string{"-out", ""}, "-out"},
		{[]string{"-nosuchflag"}, "-nosuchflag"},
		{[]string{"stray"}, "stray"},
	} {
		dir := filepath.Join(t.TempDir(), "out")
		args := append([]string{"simulate", "-system", "threehole", "-frames", "10", "-out", dir}, tc.args...)
		r := runCLI(context.Background(), args...)
		assert.Equal(t, 2, r.code, "%v: exit status", tc.args)
		assert.Contains(t, r.stderr, tc.flag, "%v: stderr", tc.args)
		_, err := os.Stat(dir)
		assert.True(t, os.IsNotExist(err), "%v: output folder created despite the bad flag", tc.args)
	}
}

// A cancelled run leaves no final .npy and metadata marked incomplete; the
// same command then finishes it with exactly the files of an uninterrupted
// run. Two cases: cancelled before the first step, and in the middle of a
// long run (cancelled once frames are on disk).
func TestSimulateCancel(t *testing.T) {
	dir := t.TempDir()
	args := []string{"simulate", "-system", "lj7", "-temps", "0.2,0.5", "-frames", "100", "-stride", "10", "-quiet", "-out", dir}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := runCLI(ctx, args...)
	require.True(t, r.code == 130 && strings.Contains(r.stderr, "interrupted") && strings.Contains(r.stderr, ".part"),
		"pre-cancelled: exit %d, stderr %q", r.code, r.stderr)
	checkIncomplete(t, dir)

	mustRun(t, args...)
	fresh := t.TempDir()
	args[len(args)-1] = fresh
	mustRun(t, args...)
	for _, name := range []string{"traj_kT0.200.npy", "features_kT0.500.npy"} {
		assert.True(t, bytes.Equal(readFile(t, filepath.Join(dir, name)), readFile(t, filepath.Join(fresh, name))),
			"%s after an interrupted run differs from an uninterrupted run", name)
	}

	// Mid-run: 10⁸ steps would take about a minute; cancel as soon as the
	// trajectory's .part file holds data.
	long := t.TempDir()
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	go func() {
		p := filepath.Join(long, "traj_kT0.500.npy"+traj.PartSuffix)
		for ctx.Err() == nil {
			if fi, err := os.Stat(p); err == nil && fi.Size() > 128 {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	start := time.Now()
	r = runCLI(ctx, "simulate", "-system", "lj7", "-temps", "0.5", "-frames", "1000000", "-quiet", "-out", long)
	require.Equal(t, 130, r.code, "mid-run cancel: exit status, stderr %q", r.stderr)
	assert.LessOrEqual(t, time.Since(start), 30*time.Second, "time the cancel took to stop the run")
	checkIncomplete(t, long)
}

// checkIncomplete asserts that dir holds no final .npy file and that its
// metadata says the run is incomplete, so runstore.Open refuses it.
func checkIncomplete(t *testing.T, dir string) {
	t.Helper()
	names := testutil.ListDir(t, dir)
	assert.Empty(t, testutil.WithSuffix(names, ".npy"), "cancelled run left final files")
	assert.NotEmpty(t, testutil.WithSuffix(names, ".npy"+traj.PartSuffix), "cancelled run left no .part files: %v", names)
	_, err := runstore.Open(dir)
	assert.ErrorContains(t, err, "not complete", "runstore.Open of a cancelled run")
}

// Progress lines go to stderr per replica, one whole line at a time, and
// -quiet silences them.
func TestSimulateProgress(t *testing.T) {
	r := mustRun(t, "simulate", "-system", "threehole", "-temps", "0.6,1", "-frames", "2000", "-out", t.TempDir())
	for _, tag := range []string{"kT0.600: done 20000 steps", "kT1.000: done 20000 steps"} {
		assert.Equal(t, 1, strings.Count(r.stderr, tag), "stderr lacks one %q line:\n%s", tag, r.stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		assert.True(t, strings.HasPrefix(line, "kT") || strings.HasPrefix(line, "simulating") || strings.HasPrefix(line, "wrote"),
			"unexpected or interleaved stderr line %q", line)
	}
	q := mustRun(t, "simulate", "-system", "threehole", "-temps", "0.6", "-frames", "20", "-quiet", "-out", t.TempDir())
	assert.Empty(t, q.stdout, "-quiet printed to stdout")
	assert.Empty(t, q.stderr, "-quiet printed to stderr")
}

// The mala integrator is recorded as MALA; overdamped as overdamped.
func TestSimulateIntegrators(t *testing.T) {
	for flagVal, name := range map[string]string{"mala": "MALA", "overdamped": "overdamped", "baoab": "BAOAB"} {
		dir := t.TempDir()
		mustRun(t, "simulate", "-system", "muellerbrown", "-temps", "15", "-frames", "20", "-integrator", flagVal, "-quiet", "-out", dir)
		m, err := traj.ReadMetadata(filepath.Join(dir, runstore.MetadataName))
		require.NoError(t, err)
		assert.Equal(t, name, m.Integrator.Name, "-integrator %s: recorded name", flagVal)
		x := readNPY(t, filepath.Join(dir, "traj_kT15.000.npy"), 20, 2)
		assert.False(t, slices.Equal(x[:2], x[38:]), "-integrator %s: the particle did not move", flagVal)
	}
}
