package potentials

import (
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHarmonicKnownValues(t *testing.T) {
	// ½·2·|(2,2,5) − (1,2,3)|² = ½·2·(1 + 0 + 4) = 5, F = −2·(1, 0, 2).
	f := make([]float64, 3)
	e := Harmonic{K: 2, Center: []float64{1, 2, 3}}.Force(f, []float64{2, 2, 5})
	assert.Equal(t, 5.0, e, "U with a centre")
	assert.Equal(t, []float64{-2, 0, -4}, f, "F with a centre")
	// Nil Center is the origin: ½·0.5·(9 + 16) = 6.25, F = −0.5·(3, −4).
	f = f[:2]
	e = Harmonic{K: 0.5}.Force(f, []float64{3, -4})
	assert.Equal(t, 6.25, e, "U with a nil centre")
	assert.Equal(t, []float64{-1.5, 2}, f, "F with a nil centre")
}

// TestMuellerBrownMinima minimises from nearby starts. The literature values
// are printed to 3 decimals in position and 2 in energy: tolerances are half
// a unit in the last printed digit.
func TestMuellerBrownMinima(t *testing.T) {
	for _, c := range []struct {
		start, min []float64
		u          float64
	}{
		{[]float64{-0.5, 1.5}, []float64{-0.558, 1.442}, -146.70},
		{[]float64{0.6, 0.1}, []float64{0.623, 0.028}, -108.17},
		{[]float64{-0.1, 0.5}, []float64{-0.050, 0.467}, -80.77},
	} {
		x, u := minimize(t, MuellerBrown{}, c.start, 1e-5)
		assert.InDeltaSlice(t, c.min, x, 5e-4, "from %v: minimiser", c.start)
		assert.InDelta(t, c.u, u, 5e-3, "from %v: U at the minimum", c.start)
	}
}

// TestSumKnownValues: a Sum's energy and force are the sums of its terms',
// whichever evaluation path each term takes (AddForce, Force into dst for
// a Force-only first term, pooled scratch for later Force-only terms).
func TestSumKnownValues(t *testing.T) {
	x := []float64{0.3, 1.2}
	terms := []Potential{ThreeHole{}, MuellerBrown{}, Harmonic{K: 2, Center: []float64{1, -1}}}
	var wantE float64
	wantF := make([]float64, 2)
	for _, p := range terms {
		f := make([]float64, 2)
		wantE += p.Force(f, x)
		wantF[0] += f[0]
		wantF[1] += f[1]
	}
	wrap := func(p Potential) Potential { return forceOnly{p} }
	for name, s := range map[string]Sum{
		"adders":          {terms[0], terms[1], terms[2]},
		"force-only all":  {wrap(terms[0]), wrap(terms[1]), wrap(terms[2])},
		"force-only last": {terms[0], terms[1], wrap(terms[2])},
		"nested":          {Sum{terms[0], wrap(terms[1])}, Sum{terms[2]}},
	} {
		f := []float64{7, 7} // Force must overwrite, not add
		assert.InDelta(t, wantE, s.Force(f, x), 1e-12, "%s: Force's U", name)
		assert.InDeltaSlice(t, wantF, f, 1e-12, "%s: Force's F", name)
		g := []float64{1, -1}
		assert.InDelta(t, wantE, s.AddForce(g, x), 1e-12, "%s: AddForce's U", name)
		assert.InDeltaSlice(t, wantF, []float64{g[0] - 1, g[1] + 1}, 1e-12, "%s: AddForce's dst − (1, −1)", name)
	}
	f := []float64{3, 4}
	assert.Zero(t, (Sum{}).Force(f, x), "empty Sum: U")
	assert.Equal(t, []float64{0, 0}, f, "empty Sum: F")
}

// TestSumConcurrent evaluates one shared LJ7 value (with a Force-only term,
// so the scratch pool is used) from several goroutines; run with -race.
func TestSumConcurrent(t *testing.T) {
	s := Sum{LennardJones{Dim: 2}, forceOnly{Harmonic{K: 0.1}}, forceOnly{COMRestraint{Dim: 2, R2: 4, Kappa: 100}}}
	rng := newRand(5)
	x := restrainedLJ7(rng)
	want := make([]float64, 14)
	wantE := s.Force(want, x)
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for range 4 {
		wg.Go(func() {
			f := make([]float64, 14)
			for range 2000 {
				if e := s.Force(f, x); e != wantE || maxAbsDiff(f, want) != 0 {
					errs <- "concurrent Sum.Force differs from the serial result"
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func maxAbsDiff(a, b []float64) float64 {
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// TestNoAllocations: Force of every built-in, and of Sums of them, must
// not allocate (the md hot loop calls it every step).
func TestNoAllocations(t *testing.T) {
	lj7x := LJ7Hexagon()
	lj7x[13] += 2.5 // restraint active
	for _, c := range []struct {
		name string
		p    Potential
		x    []float64
	}{
		{"ThreeHole", ThreeHole{}, []float64{0.1, 0.2}},
		{"MuellerBrown", MuellerBrown{}, []float64{0.1, 0.2}},
		{"Harmonic", Harmonic{K: 1, Center: []float64{1, 2}}, []float64{0.1, 0.2}},
		{"LJ7", LJ7(), lj7x},
		{"LennardJones/3D", LennardJones{Dim: 3}, lj7x[:12]},
		{"COMRestraint/3D", COMRestraint{Dim: 3, R2: 1, Kappa: 5}, lj7x[:12]},
		{"Sum with Force-only terms", Sum{forceOnly{LJ7()}, forceOnly{Harmonic{K: 1}}}, lj7x},
	} {
		f := make([]float64, len(c.x))
		assert.Zero(t, testing.AllocsPerRun(100, func() { c.p.Force(f, c.x) }), "%s: allocations per Force call", c.name)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		p    Potential
		x    []float64
		want string // substring of the error; "" means no error
	}{
		{"LJ7 hexagon", LJ7(), LJ7Hexagon(), ""},
		{"ThreeHole", ThreeHole{}, []float64{1, 2}, ""},
		{"nil potential", nil, []float64{1}, "nil"},
		{"LJ odd length", LennardJones{Dim: 2}, make([]float64, 7), "len(x) = 7 is not a multiple of Dim = 2"},
		{"LJ Dim 0", LennardJones{}, make([]float64, 4), "LennardJones.Dim"},
		{"LJ coincident", LennardJones{Dim: 2}, []float64{1, 1, 1, 1}, "energy is +Inf"},
		{"NaN coordinate", Harmonic{K: 1}, []float64{0, math.NaN()}, "coordinate 1 is NaN"},
		{"restraint R2", COMRestraint{Dim: 2, R2: -1}, make([]float64, 4), "COMRestraint.R2"},
		{"restraint Kappa", COMRestraint{Dim: 2, Kappa: math.Inf(1)}, make([]float64, 4), "COMRestraint.Kappa"},
		{"Harmonic K", Harmonic{K: -1}, make([]float64, 2), "Harmonic.K"},
		{"Harmonic Center", Harmonic{K: 1, Center: []float64{1}}, make([]float64, 2), "len(Center) = 1"},
		{"MuellerBrown length", MuellerBrown{}, make([]float64, 3), "MuellerBrown needs len(x) = 2"},
		{"Sum term", LJ7(), make([]float64, 7), "Sum[0]"},
		{"Sum nil term", Sum{ThreeHole{}, nil}, make([]float64, 2), "Sum[1] is nil"},
		{"panicking user type", forceOnly{ThreeHole{}}, make([]float64, 3), "panicked"},
		{"infinite force", forceOnly{infForce{}}, make([]float64, 3), "force component 2 is +Inf"},
	} {
		err := Validate(c.p, c.x)
		if c.want == "" {
			assert.NoError(t, err, c.name)
		} else {
			assert.ErrorContains(t, err, c.want, c.name)
		}
	}
}

// infForce has a finite energy and an infinite last force component.
type infForce struct{}

func (infForce) Force(dst, x []float64) float64 {
	clear(dst)
	dst[len(dst)-1] = math.Inf(1)
	return 0
}
