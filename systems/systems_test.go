package systems_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/potentials"
	"github.com/dspib/dspib/systems"
)

// Every built-in entry is valid and can be found by its name and aliases.
func TestBuiltins(t *testing.T) {
	require.Equal(t, []string{"threehole", "lj7", "muellerbrown"}, systems.Names()[:3])
	for _, s := range systems.All() {
		require.NoError(t, s.Validate(), s.Name)
		for _, name := range append([]string{s.Name}, s.Aliases...) {
			got, ok := systems.Lookup(name)
			require.True(t, ok, name)
			assert.Same(t, s, got, name)
		}
	}
	_, ok := systems.Lookup("argon")
	assert.False(t, ok)
}

// The three-hole start is next to the left deep minimum (docs/systems.md
// fixture (−1.048055, −0.042094), V = −3.994861) and the LJ7 start is the
// hexagon, E = −12.535 without the restraint (inactive there).
func TestStartConfigurations(t *testing.T) {
	f := make([]float64, 2)
	assert.InDelta(t, -3.994861, systems.ThreeHole.Potential.Force(f, systems.ThreeHole.Start()), 1e-3)
	x := systems.LJ7.Start()
	g := make([]float64, len(x))
	assert.InDelta(t, -12.535, systems.LJ7.Potential.Force(g, x), 1e-3)
	x[0] = 99
	assert.NotEqual(t, 99.0, systems.LJ7.X0[0], "Start must return a copy")
}

// Features: LJ7 gives the sorted coordination numbers and (μ2, μ3) of
// analysis.FeaturesLJ7; a system without a featuriser gives its positions.
func TestFeatures(t *testing.T) {
	frames := append(potentials.LJ7Hexagon(), potentials.LJ7Hexagon()...)
	frames[14] += 0.3
	feat, d, lab, ld, err := systems.LJ7.Features(frames, 2)
	require.NoError(t, err)
	require.Equal(t, 7, d)
	require.Equal(t, 2, ld)
	want, wantM := make([]float64, 14), make([]float64, 4)
	require.NoError(t, analysis.FeaturesLJ7(want, wantM, frames, 7, 2))
	assert.Equal(t, want, feat)
	assert.Equal(t, wantM, lab)

	xy := []float64{1, 2, 3, 4}
	feat, d, lab, ld, err = systems.ThreeHole.Features(xy, 2)
	require.NoError(t, err)
	assert.Equal(t, xy, feat)
	assert.Equal(t, xy, lab)
	assert.Equal(t, 2, d+ld-2)
	_, _, _, _, err = systems.ThreeHole.Features(xy, 3)
	assert.ErrorContains(t, err, "threehole")
}

// The metadata description holds the parameters of every term.
func TestPotentialJSON(t *testing.T) {
	b, err := systems.LJ7.PotentialJSON()
	require.NoError(t, err)
	var d struct {
		Terms []struct {
			Type   string         `json:"type"`
			Params map[string]any `json:"params"`
		} `json:"terms"`
		Parameters map[string]any `json:"parameters"`
	}
	require.NoError(t, json.Unmarshal(b, &d))
	require.Len(t, d.Terms, 2)
	assert.Equal(t, "potentials.LennardJones", d.Terms[0].Type)
	assert.Equal(t, "potentials.COMRestraint", d.Terms[1].Type)
	assert.Equal(t, 100.0, d.Terms[1].Params["Kappa"])
	assert.Equal(t, 4.0, d.Terms[1].Params["R2"])
	assert.Contains(t, d.Parameters["lennard_jones"], "no cutoff")
}

// A user's system is one System value; Register validates it and refuses
// a name that is taken.
func TestRegister(t *testing.T) {
	own := &systems.System{
		Name: "harmonic-test", Potential: potentials.Harmonic{K: 1}, N: 1, Dim: 1,
		X0: []float64{0}, Dt: 0.01, Gamma: 1, Stride: 1, Frames: 10, Temperatures: []float64{1},
	}
	require.NoError(t, systems.Register(own))
	got, ok := systems.Lookup("harmonic-test")
	require.True(t, ok)
	assert.Same(t, own, got)
	assert.ErrorContains(t, systems.Register(own), "taken")
	bad := *own
	bad.Name, bad.Dt = "bad", 0
	err := systems.Register(&bad)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "Dt"), err)
}
