package experiment

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStandardPresets: every preset is valid and named by its key, the
// system's frame counts land in their fields, a Phase2Epochs override
// replaces only its own preset's budget, and budgets grow tiny → paper.
func TestStandardPresets(t *testing.T) {
	n := func(k int) SystemSizes {
		return SystemSizes{TrainFrames: 1000 * k, RefFrames: 2000 * k, BurnIn: k, EvalN: 100 * k}
	}
	sys := PresetSystemSizes{Tiny: n(1), Quick: n(2), Default: n(3), Paper: n(4)}
	sys.Quick.Phase2Epochs = 12
	p := StandardPresets(sys)
	order := []string{"tiny", "quick", "default", "paper"}
	require.Len(t, p, len(order), "presets")
	for i, name := range order {
		s, ok := p[name]
		require.True(t, ok, "no preset %q", name)
		assert.NoError(t, s.Validate(), name)
		k := i + 1
		assert.True(t, s.Preset == name && s.TrainFrames == 1000*k && s.RefFrames == 2000*k && s.BurnIn == k && s.EvalN == 100*k,
			"%s: %+v does not carry its name and system sizes", name, s)
		if i > 0 {
			prev := p[order[i-1]]
			assert.True(t, s.SPIBMaxEpochs >= prev.SPIBMaxEpochs && s.KMeansK >= prev.KMeansK, "%s has a smaller budget than %s", name, order[i-1])
		}
	}
	assert.Equal(t, 12, p["quick"].Phase2Epochs, "quick Phase2Epochs, want the override")
	d := StandardPresets(PresetSystemSizes{Quick: n(2)})["quick"].Phase2Epochs
	assert.True(t, d != 12 && d >= 1, "quick Phase2Epochs without override = %d, want the standard budget", d)
}
