package plumed_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/export/plumed"
	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/learn/spib"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/potentials"
)

// lj7Frames returns nFrames LJ7 frames (7 particles × 2, row-major, σ) from
// BAOAB Langevin dynamics at kT [ε] with the default dt = 0.005 τ and γ = 1,
// a frame every stride steps, started from the hexagon; the noise comes from
// md.ReplicaSource(seed, 0).
func lj7Frames(t testing.TB, kT float64, nFrames, stride int, seed uint64) []float64 {
	t.Helper()
	sys := &md.System{Potential: potentials.LJ7(), Masses: []float64{1, 1, 1, 1, 1, 1, 1}, Dim: 2}
	st, err := md.NewState(sys, potentials.LJ7Hexagon(), nil, nil)
	require.NoError(t, err)
	st.SetSource(md.ReplicaSource(seed, 0))
	sink := &md.MemorySink{}
	require.NoError(t, md.Run(context.Background(), sys, &integrators.BAOAB{KT: kT, Dt: 0.005, Gamma: 1}, st,
		int64(nFrames)*int64(stride), &md.Recorder{Sink: sink, Stride: int64(stride)}))
	require.Equal(t, nFrames, sink.Len())
	return sink.Data
}

// features returns the sorted coordination numbers of frames (n × 7) and
// the same as rows for spib.Trajectory.
func features(t testing.TB, frames []float64) (flat []float64, rows [][]float64) {
	t.Helper()
	n := len(frames) / 14
	flat = make([]float64, n*7)
	require.NoError(t, analysis.FeaturesLJ7(flat, nil, frames, 7, 2))
	for f := range n {
		rows = append(rows, flat[f*7:(f+1)*7])
	}
	return flat, rows
}

// trainedLinear trains a small Linear-encoder SPIB model on the LJ7 rows
// (a few epochs: the test is about the export, not the model's quality).
func trainedLinear(t testing.TB, rows [][]float64, seed uint64) *spib.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	trajs := []spib.Trajectory{{Features: rows, KT: 0.5}}
	require.NoError(t, spib.KMeansLabels(trajs, 4, nil, rng))
	cfg := spib.Config{Encoder: spib.Linear, Lag: 2, MaxEpochs: 3, Refinements: -1, BatchSize: 64, LearningRate: 5e-3, Workers: 1}
	res, err := spib.Train(trajs, cfg, rng)
	require.NoError(t, err)
	return res.Model
}

// randomLinear returns an untrained Linear-encoder model with d latent
// variables, the per-sample log-variance head, random U(±1/√7) weights and
// the standardisation of the rows: a second, independent set of parameters.
func randomLinear(t testing.TB, rows [][]float64, d int, seed uint64) *spib.Model {
	t.Helper()
	cfg, err := spib.Config{Encoder: spib.Linear, LatentDim: d, LogVar: spib.PerSampleLogVar}.Validate()
	require.NoError(t, err)
	std := spib.Standardizer{Mean: make([]float64, 7), Std: make([]float64, 7)}
	for _, r := range rows {
		for j, v := range r {
			std.Mean[j] += v / float64(len(rows))
		}
	}
	for _, r := range rows {
		for j, v := range r {
			std.Std[j] += (v - std.Mean[j]) * (v - std.Mean[j]) / float64(len(rows))
		}
	}
	for j := range std.Std {
		std.Std[j] = math.Sqrt(std.Std[j])
	}
	return spib.NewModel(cfg, 7, 3, std, rand.New(rand.NewPCG(seed, 2)))
}

// positions3 embeds frame f (7 × 2) in 3-D at height z, as an MD engine
// driven by PLUMED would hold a planar cluster.
func positions3(frames []float64, f int, z float64) [][3]float64 {
	x := frames[f*14 : (f+1)*14]
	pos := make([][3]float64, 7)
	for i := range pos {
		pos[i] = [3]float64{x[2*i], x[2*i+1], z}
	}
	return pos
}

// fragment writes m's fragment with source and compiles it with the
// interpreter of eval_test.go.
func fragment(t testing.TB, m *spib.Model, source string) (string, *program) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, plumed.WriteLinearCV(&buf, m, plumed.LJ7, source))
	prog, err := compile(buf.String())
	require.NoError(t, err, "fragment:\n%s", buf.String())
	return buf.String(), prog
}

// randomLJ7Model returns nFrames LJ7 frames at kT = 0.5 (a frame every 40
// steps, from seed) and a random Linear model with d = 2 standardised on
// their features.
func randomLJ7Model(t testing.TB, nFrames int, seed uint64) ([]float64, *spib.Model) {
	t.Helper()
	frames := lj7Frames(t, 0.5, nFrames, 40, seed)
	_, rows := features(t, frames)
	return frames, randomLinear(t, rows, 2, seed)
}

// TestFragmentMatchesEncode writes the fragment of a trained model (d = 2)
// and of a random one (d = 3), evaluates the fragment's actions with the
// independent interpreter of eval_test.go on 300 LJ7 MD frames at kT = 0.5
// (where the cluster changes shape), and compares:
//
//   - spib_cI with analysis.CoordinationNumbers of particle I−1 (atom
//     numbering 1-based in frame order, other-atom groups, switch);
//   - spib_zK with Model.Encode of the sorted features (SORT order,
//     standardisation, weights, bias).
//
// Tolerance: both sides sum the same terms in different orders and forms
// ((x−μ)·(W/σ) against W·((x−μ)/σ), r against r²), so they differ by
// rounding, a few ε ≈ 2.2e−16 per term relative to the terms' size; the
// bound 1e−10 × (|z| + Σ_j |W_Kj/σ_j|(|x_j| + |μ_j|)) leaves a margin of
// about 10⁵ and still catches any wrong coefficient, order or sign.
func TestFragmentMatchesEncode(t *testing.T) {
	frames := lj7Frames(t, 0.5, 300, 40, 11)
	flat, rows := features(t, frames)
	models := map[string]*spib.Model{
		"trained d=2": trainedLinear(t, rows, 5),
		"random d=3":  randomLinear(t, rows, 3, 6),
	}
	for name, m := range models {
		t.Run(name, func(t *testing.T) {
			_, prog := fragment(t, m, "test model "+name)

			zm, _, err := m.Encode(flat, 2)
			require.NoError(t, err)
			W, _, err := m.LinearWeights()
			require.NoError(t, err)
			d := m.LatentDim()
			c := make([]float64, 7)
			worst := 0.0
			for f := range len(rows) {
				vals, err := prog.eval(positions3(frames, f, 0.75))
				require.NoError(t, err)
				require.NoError(t, analysis.CoordinationNumbers(c, frames[f*14:(f+1)*14], 7, 2, analysis.LJ7R0))
				for i, want := range c {
					got := vals[fmt.Sprintf("spib_c%d", i+1)]
					require.InDelta(t, want, got, 1e-13*7, "frame %d: coordination of atom %d", f, i+1)
				}
				for k := range d {
					want := zm[f*d+k]
					got, ok := vals[fmt.Sprintf("spib_z%d", k+1)]
					require.True(t, ok, "spib_z%d not defined", k+1)
					scale := math.Abs(want)
					for j, x := range rows[f] {
						scale += math.Abs(W[k*7+j]) * (math.Abs(x) + math.Abs(m.Std.Mean[j]))
					}
					require.InDelta(t, want, got, 1e-10*scale, "frame %d: spib_z%d", f, k+1)
					worst = max(worst, math.Abs(got-want)/scale)
				}
			}
			t.Logf("%s: largest |z_fragment − z_Encode| / scale over %d frames × %d dims: %.2g", name, len(rows), d, worst)
		})
	}
}

// TestFragmentIgnoresParticleLabels: relabelling the particles (a random
// permutation of the rows of a frame) leaves the fragment's CVs unchanged up
// to rounding, because SORT orders the coordination numbers.
func TestFragmentIgnoresParticleLabels(t *testing.T) {
	frames, m := randomLJ7Model(t, 20, 12)
	_, prog := fragment(t, m, "")
	rng := rand.New(rand.NewPCG(3, 4))
	for f := range 20 {
		pos := positions3(frames, f, 0)
		perm := rng.Perm(7)
		pp := make([][3]float64, 7)
		for i, p := range perm {
			pp[i] = pos[p]
		}
		a, err := prog.eval(pos)
		require.NoError(t, err)
		b, err := prog.eval(pp)
		require.NoError(t, err)
		for _, z := range []string{"spib_z1", "spib_z2"} {
			assert.InDelta(t, a[z], b[z], 1e-12, "frame %d: %s under permutation %v", f, z, perm)
		}
	}
}

// TestFragmentText checks the parts of the fragment a user reads: the
// header states units and atom numbering, every action line is one of the
// subset (compile is strict), the switch is spelled as PLUMED expects, and
// the METAD example is a comment using the latent labels.
func TestFragmentText(t *testing.T) {
	_, m := randomLJ7Model(t, 50, 13)
	s, _ := fragment(t, m, "runs/lj7/model")
	for _, want := range []string{
		"# Model: runs/lj7/model",
		"UNITS NATURAL",
		"UNITS LENGTH=<sigma in nm>",
		"1-based",
		"spib_c1: COORDINATION GROUPA=1 GROUPB=2-7 SWITCH={RATIONAL R_0=1.5 D_0=0 NN=8 MM=16}",
		"spib_c4: COORDINATION GROUPA=4 GROUPB=1-3,5-7 ",
		"spib_c7: COORDINATION GROUPA=7 GROUPB=1-6 ",
		"spib_sorted: SORT ARG=spib_c1,spib_c2,spib_c3,spib_c4,spib_c5,spib_c6,spib_c7\n",
		"spib_z2: COMBINE ARG=spib_z2_wx ",
		"# metad: METAD ARG=spib_z1,spib_z2 ",
	} {
		assert.Contains(t, s, want)
	}
	acts, err := parseFragment(s)
	require.NoError(t, err)
	var names []string
	for _, a := range acts {
		names = append(names, a.name)
	}
	assert.Equal(t, []string{
		"COORDINATION", "COORDINATION", "COORDINATION", "COORDINATION", "COORDINATION", "COORDINATION", "COORDINATION",
		"SORT", "COMBINE", "COMBINE", "COMBINE", "COMBINE",
	}, names, "no METAD or PRINT may be active")
	assert.True(t, strings.HasSuffix(s, "\n"))
}

// TestWriteLinearCVErrors: bad input gives an error naming the problem and
// writes nothing.
func TestWriteLinearCVErrors(t *testing.T) {
	std := func(D int) spib.Standardizer {
		s := spib.Standardizer{Mean: make([]float64, D), Std: make([]float64, D)}
		for j := range s.Std {
			s.Std[j] = 1
		}
		return s
	}
	model := func(enc spib.EncoderKind, D int, s spib.Standardizer) *spib.Model {
		cfg, err := spib.Config{Encoder: enc}.Validate()
		require.NoError(t, err)
		return spib.NewModel(cfg, D, 2, s, rand.New(rand.NewPCG(1, 1)))
	}
	zeroStd := std(7)
	zeroStd.Std[3] = 0
	nanMean := std(7)
	nanMean.Mean[5] = math.NaN()
	cases := []struct {
		name  string
		m     *spib.Model
		f     plumed.Coordination
		parts []string
	}{
		{"nil model", nil, plumed.LJ7, []string{"model is nil"}},
		{"nonlinear encoder", model(spib.Nonlinear, 7, std(7)), plumed.LJ7, []string{`"nonlinear" encoder`, "-encoder linear"}},
		{"too few features", model(spib.Linear, 5, std(5)), plumed.LJ7, []string{"D = 5", "LJ7", "7 sorted coordination numbers"}},
		{"too many features", model(spib.Linear, 8, std(8)), plumed.LJ7, []string{"D = 8", "7 sorted"}},
		{"one particle", model(spib.Linear, 1, std(1)), plumed.Coordination{N: 1, R0: 1.5}, []string{"Coordination.N = 1"}},
		{"zero r0", model(spib.Linear, 7, std(7)), plumed.Coordination{N: 7}, []string{"Coordination.R0 = 0"}},
		{"infinite r0", model(spib.Linear, 7, std(7)), plumed.Coordination{N: 7, R0: math.Inf(1)}, []string{"R0 = +Inf"}},
		{"zero std", model(spib.Linear, 7, zeroStd), plumed.LJ7, []string{"feature 3", "std 0"}},
		{"NaN mean", model(spib.Linear, 7, nanMean), plumed.LJ7, []string{"feature 5", "mean NaN"}},
		{"short standardisation", model(spib.Linear, 7, std(6)), plumed.LJ7, []string{"6 means", "D = 7"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := plumed.WriteLinearCV(&buf, c.m, c.f, "x")
			require.Error(t, err)
			for _, p := range c.parts {
				assert.Contains(t, err.Error(), p)
			}
			assert.Zero(t, buf.Len(), "nothing may be written on error")
		})
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestWriteLinearCVWriteError: a failing writer's error is returned.
func TestWriteLinearCVWriteError(t *testing.T) {
	cfg, err := spib.Config{Encoder: spib.Linear}.Validate()
	require.NoError(t, err)
	s := spib.Standardizer{Mean: make([]float64, 7), Std: []float64{1, 1, 1, 1, 1, 1, 1}}
	m := spib.NewModel(cfg, 7, 2, s, rand.New(rand.NewPCG(1, 1)))
	err = plumed.WriteLinearCV(failWriter{}, m, plumed.LJ7, "")
	require.ErrorContains(t, err, "disk full")
}

// TestSwitchMatchesAnalysis: PLUMED's RATIONAL form (1 − q^8)/(1 − q^16),
// evaluated away from q = 1 where it is well conditioned, equals
// analysis.Switch = 1/(1 + q^8), the identity the fragment relies on. At
// q = 1 (r = r0) both give ½. Tolerance: the two forms round differently,
// a few ε relative.
func TestSwitchMatchesAnalysis(t *testing.T) {
	sw := rational{r0: 1.5, nn: 8, mm: 16}
	for _, r := range []float64{0.3, 0.9, 1.2, 1.4, 1.6, 2.0, 3.0, 6.0} {
		q := r / 1.5
		want := analysis.Switch(r, 1.5)
		assert.InDelta(t, want, (1-math.Pow(q, 8))/(1-math.Pow(q, 16)), 1e-14, "r = %v", r)
		assert.InDelta(t, want, sw.at(r), 1e-15, "r = %v", r)
	}
	assert.Equal(t, 0.5, analysis.Switch(1.5, 1.5))
	assert.Equal(t, 0.5, sw.at(1.5))
}

// TestFragmentAfterSaveLoad: a model read back with spib.Load (as a model
// folder holds it) gives the same fragment byte for byte.
func TestFragmentAfterSaveLoad(t *testing.T) {
	_, m := randomLJ7Model(t, 30, 14)
	path := filepath.Join(t.TempDir(), "spib.ckpt")
	require.NoError(t, m.Save(path))
	back, err := spib.Load(path)
	require.NoError(t, err)
	a, _ := fragment(t, m, "src")
	b, _ := fragment(t, back, "src")
	assert.Equal(t, a, b)
}
