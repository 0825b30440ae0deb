package diffusion

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The samples at kT 0.3 depend only on (seed, kT): bit-identical whether
// generated alone or together with other temperatures, in any order, with
// either sampler; and generating them in ranges of whole chunks gives the
// same bits as generating them at once.
func TestGenerateSeededByTemperature(t *testing.T) {
	p, err := New(Config{KTRef: 0.2, Hidden: []int{8, 16, 16, 8}}, newRNG(4))
	require.NoError(t, err)
	const n = 150 // 3 chunks, the last one partial
	for _, s := range []Sampler{Ancestral, ProbabilityFlow} {
		alone, err := p.GenerateWith(s, []float64{0.3}, n, 11)
		require.NoError(t, err)
		for _, temps := range [][]float64{{0.2, 0.3, 0.5}, {0.5, 0.3}, {0.6, 0.4, 0.2, 0.3}} {
			out, err := p.GenerateWith(s, temps, n, 11)
			require.NoError(t, err)
			for k, T := range temps {
				if T == 0.3 {
					require.Equal(t, alone[0], out[k], "%v: kT 0.3 in %v", s, temps)
				} else {
					require.NotEqual(t, alone[0], out[k], "%v: kT %v gives kT 0.3's samples", s, T)
				}
			}
		}
		var ranged []float64
		for first := 0; first < n; first += 2 * ChunkRows {
			z, err := p.GenerateRange(s, 0.3, first, min(2*ChunkRows, n-first), 11)
			require.NoError(t, err)
			ranged = append(ranged, z...)
		}
		require.Equal(t, alone[0], ranged, "%v: ranges differ from one call", s)
	}
	_, err = p.GenerateRange(Ancestral, 0.3, 10, 64, 11)
	require.ErrorContains(t, err, "multiple of 64")
}
