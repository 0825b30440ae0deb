package traj

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTempTag: three decimals when exact, every digit otherwise, and
// neighbouring floats get different tags.
func TestTempTag(t *testing.T) {
	for kT, want := range map[float64]string{0.6: "kT0.600", 1: "kT1.000", 10: "kT10.000", 0.25: "kT0.250", 0.6125: "kT0.6125", 1e-4: "kT0.0001"} {
		assert.Equal(t, want, TempTag(kT))
	}
	// Neighbouring floats must get different tags.
	for _, kT := range []float64{0.6, 1, 0.3} {
		next := math.Nextafter(kT, 2)
		assert.NotEqual(t, TempTag(kT), TempTag(next), kT)
	}
}
