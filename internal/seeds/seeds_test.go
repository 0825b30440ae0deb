package seeds

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Streams named by different (seed, tag, kT) get different seeds, and the
// same name always the same.
func TestDeriveDistinct(t *testing.T) {
	seen := map[uint64]bool{}
	for _, seed := range []uint64{0, 1, 2} {
		for _, tag := range []string{"md/train", "md/ref", "split/multi", "kmeans/temps"} {
			for _, kT := range []float64{0, 0.2, 0.6, 1} {
				s := Derive(seed, tag, kT)
				assert.False(t, seen[s], "collision at seed %d %s kT %v", seed, tag, kT)
				seen[s] = true
				assert.Equal(t, s, Derive(seed, tag, kT))
			}
		}
	}
	assert.Equal(t, Rand(3, "x", 1).Uint64(), Rand(3, "x", 1).Uint64())
	assert.NotEqual(t, Rand(3, "x", 1).Uint64(), Rand(3, "x", 1.5).Uint64())
}
