package evaluate

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/potentials"
)

func TestDesignNearestAndRegime(t *testing.T) {
	e := &Design{Name: "x", Train: []float64{0.2, 0.5}, Eval: []float64{0.2}}
	require.NoError(t, e.Validate())
	// On a log scale 0.3 is nearer 0.2 (ln 1.5 = 0.405 < ln 5/3 = 0.511)
	// and 0.4 nearer 0.5 (ln 1.25 < ln 2).
	for kT, want := range map[float64]float64{0.2: 0.2, 0.3: 0.2, 0.4: 0.5, 0.5: 0.5, 0.6: 0.5, 0.1: 0.2} {
		assert.Equal(t, want, e.Nearest(kT), "Nearest(%v)", kT)
	}
	for kT, want := range map[float64]string{0.2: "trained", 0.3: "interpolated", 0.6: "extrapolated", 0.1: "extrapolated"} {
		assert.Equal(t, want, e.Regime(kT), "Regime(%v)", kT)
	}
	bad := Design{Name: "y", Train: []float64{-1}, Eval: []float64{1}}
	require.ErrorContains(t, bad.Validate(), "kT = -1")
}

// TestCompare checks every metric on Gaussians with known answers.
func TestCompare(t *testing.T) {
	const n = 40000
	rng := rand.New(rand.NewPCG(3, 4))
	ref := gauss2(rng, n, 0, 0, 1)
	same := gauss2(rng, n, 0, 0, 1)
	shifted := gauss2(rng, n, 0.5, 0, 1)
	mSame, pr, pg, err := Compare(same, nil, ref, nil, twoStates{}, Config{})
	require.NoError(t, err)
	mShift, _, pgs, err := Compare(shifted, nil, ref, nil, twoStates{}, Config{})
	require.NoError(t, err)
	// Populations: P(z1 > 0) = ½ for ref and same, Φ(0.5) = 0.6915 for
	// shifted; binomial sd sqrt(p(1−p)/n) = 0.0025, tolerance 5 sd.
	tol := 5 * math.Sqrt(0.25/n)
	assert.InDelta(t, 0.5, pr[1], tol)
	assert.InDelta(t, 0.5, pg[1], tol)
	assert.InDelta(t, 0.6915, pgs[1], tol)
	assert.InDelta(t, 0.1915, mShift["pop_tv"], 2*tol)
	// Free energy along z1 of N(μ,1) is (z−μ)²/2 (kT); over F < 3 kT the
	// same distribution differs only by KDE noise: the KDE's relative sd
	// at density p is about (n·h·2√π·p)^(−1/2) ≤ 0.08 for p ≥ 0.03 (F < 3),
	// so the RMSE must stay below 0.1 kT. A shift of 0.5 changes F by
	// 0.5·z − 0.125, whose spread (minus the best constant) over
	// |z| < √6 is 0.5·√6/√3 = 0.71 kT: the shifted RMSE must be near it.
	assert.Less(t, mSame["fe_rmse_z1"], 0.1)
	assert.InDelta(t, 0.71, mShift["fe_rmse_z1"], 0.1)
	assert.Less(t, mShift["fe_rmse_z2"], 0.1)
	// Symmetrised KL ½[KL(P‖Q) + KL(Q‖P)] of N(0,I) and N((0.5,0),I) is
	// |μ|²/2 = 0.125 nats. The histogram estimate adds a positive plug-in
	// bias (about occupied bins/n per direction, Miller 1955, plus the 1e−10
	// floor of bins empty on one side), nearly the same for the equal
	// pair, whose value is that bias alone: the difference estimates 0.125.
	// On 20×20 bins the bias is 0.018 at this n, so its change between the
	// pairs is < 0.01; binning a linear log-ratio costs < 1 %: band 0.02.
	// (On the default 100×100 bins the bias is 0.1 and not additive.)
	c20 := Config{KLBins: 20}
	kSame, _, _, err := Compare(same, nil, ref, nil, twoStates{}, c20)
	require.NoError(t, err)
	kShift, _, _, err := Compare(shifted, nil, ref, nil, twoStates{}, c20)
	require.NoError(t, err)
	assert.InDelta(t, 0.125, kShift["sym_kl_md"]-kSame["sym_kl_md"], 0.02)
	assert.Greater(t, mShift["sym_kl_md"], mSame["sym_kl_md"]+0.1)
	assert.Greater(t, mShift["sym_kl_md_refvariant"], mSame["sym_kl_md_refvariant"]+0.1)
	// A sample of n from the reference's own distribution has on average
	// 2/(n+1) of its points beyond the reference range per coordinate:
	// about 4 points in all (Poisson); 20 is a > 5 sd bound.
	assert.Less(t, mSame["outside"], 20.0/n)
	assert.Greater(t, mShift["outside"], mSame["outside"])
	assert.NotContains(t, mSame, "sym_kl_exact")
}

// The exact reference of a harmonic well U = ½K|x|² at kT is N(0, kT/K·I):
// a sample of that Gaussian is as close to it as to an MD-like sample of it
// (the plug-in floor), and a sample of the wrong width is far.
func TestExactHarmonic(t *testing.T) {
	const kT, K, n = 0.5, 2.0, 40000
	sd := math.Sqrt(kT / K)
	box := Box{X0: -3, X1: 3, Y0: -3, Y1: 3, NX: 300, NY: 300}
	ident := func(pos []float64, _ int) ([]float64, error) { return pos, nil }
	ex, err := Exact(potentials.Harmonic{K: K}, box, kT, ident, twoStates{})
	require.NoError(t, err)
	// Cells are kept while U/kT < ExactCut, i.e. |x|² < 2·ExactCut·kT/K = 6:
	// the dropped weight is exp(−ExactCut) = 6e−6 of a Gaussian.
	require.InDelta(t, math.Exp(-ExactCut), ex.Dropped/sum(ex.W), 2e-6)
	rng := rand.New(rand.NewPCG(7, 8))
	good := gauss2(rng, n, 0, 0, sd)
	wide := gauss2(rng, n, 0, 0, 1.5*sd)
	ref := gauss2(rng, n, 0, 0, sd)
	c20 := Config{KLBins: 20}
	mGood, _, _, err := Compare(good, nil, ref, ex, twoStates{}, c20)
	require.NoError(t, err)
	mWide, _, _, err := Compare(wide, nil, ref, ex, twoStates{}, c20)
	require.NoError(t, err)
	// vs exact has no reference noise: below the two-sample floor.
	assert.Less(t, mGood["sym_kl_exact"], mGood["sym_kl_md"])
	// ½[KL(P‖Q) + KL(Q‖P)] of N(0,s²I) and N(0,(1.5s)²I) in 2-D is
	// ½(r + 1/r − 2) with r = 2.25, i.e. 0.347 nats; subtracting the
	// matched sample's value removes the plug-in bias (0.007 on 20×20
	// bins at this n), and coarse bins shave ~3 % off the wide pair: 0.03.
	assert.InDelta(t, 0.347, mWide["sym_kl_exact"]-mGood["sym_kl_exact"], 0.03)
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

func TestConfigErrors(t *testing.T) {
	_, _, _, err := Compare([]float64{0, 0}, nil, []float64{0, 0}, nil, twoStates{}, Config{KLBins: -1})
	require.ErrorContains(t, err, "KLBins")
	_, _, _, err = Compare([]float64{0, 0}, nil, []float64{0, 0}, nil, twoStates{}, Config{KDEBandwidth: math.NaN()})
	require.ErrorContains(t, err, "KDEBandwidth")
}

// BenchmarkCompare measures the metrics of one method at one temperature at
// the quick preset's size (5000 latents per side).
func BenchmarkCompare(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	ref, gen := gauss2(rng, 5000, 0, 0, 1), gauss2(rng, 5000, 0.2, 0, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := Compare(gen, nil, ref, nil, twoStates{}, Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

// A weighted prediction equals its unweighted points when the weights are
// equal, and a far point of negligible weight neither stretches the KL's
// common edges nor moves any metric; its weight is reported as dropped.
func TestCompareWeighted(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	ref, gen := gauss2(rng, 2000, 0, 0, 1), gauss2(rng, 2000, 0, 0, 1)
	c20 := Config{KLBins: 20}
	plain, _, _, err := Compare(gen, nil, ref, nil, twoStates{}, c20)
	require.NoError(t, err)
	w := make([]float64, 2000)
	for i := range w {
		w[i] = 1.0 / 2000
	}
	eq, _, _, err := Compare(gen, w, ref, nil, twoStates{}, c20)
	require.NoError(t, err)
	assert.InDelta(t, 2000, eq["ess"], 1e-6)
	for _, k := range []string{"sym_kl_md", "fe_rmse_z1", "outside", "pop_tv"} {
		assert.InDelta(t, plain[k], eq[k], 1e-9, k)
	}
	far := append(append([]float64(nil), gen...), 50, 50)
	wf := append(append([]float64(nil), w...), 1e-300)
	mf, _, _, err := Compare(far, wf, ref, nil, twoStates{}, c20)
	require.NoError(t, err)
	assert.InDelta(t, plain["sym_kl_md"], mf["sym_kl_md"], 1e-9)
	assert.Equal(t, 1e-300, mf["dropped_weight"])
	_, _, _, err = Compare(gen, w[:5], ref, nil, twoStates{}, c20)
	assert.ErrorContains(t, err, "5 weights for 2000 predicted points")
}
