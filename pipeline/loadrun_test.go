package pipeline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/md/runstore"
	"github.com/dspib/dspib/potentials"
	"github.com/dspib/dspib/systems"
)

// LoadRun drops the burn-in from the energies as from the features, so
// frame i's energy stays U(x_i) (here ½·4·x² of a 1-D well); EnergiesAt
// collects them by kT and names a missing temperature.
func TestLoadRunEnergies(t *testing.T) {
	well := &systems.System{Name: "well", Potential: potentials.Harmonic{K: 4}, N: 1, Dim: 1, X0: []float64{0},
		Dt: 0.01, Gamma: 1, Stride: 10, Frames: 100, Temperatures: []float64{0.5, 1}}
	dir := t.TempDir()
	require.NoError(t, runstore.Simulate(t.Context(), runstore.Config{System: well, Frames: 100, Seed: 1, Dir: dir}))
	ins, _, err := LoadRun(dir, 30)
	require.NoError(t, err)
	require.Len(t, ins, 2)
	for _, in := range ins {
		require.Len(t, in.Energies, 70)
		for i, u := range in.Energies {
			assert.InDelta(t, 2*in.Features[i]*in.Features[i], u, 1e-12)
		}
	}
	u, missing := EnergiesAt(ins, []float64{0.5, 1})
	require.NotNil(t, u)
	assert.Zero(t, missing)
	assert.Equal(t, ins[1].Energies, u[1])
	u, missing = EnergiesAt(ins, []float64{0.5, 2})
	assert.Nil(t, u)
	assert.Equal(t, 2.0, missing)
}
