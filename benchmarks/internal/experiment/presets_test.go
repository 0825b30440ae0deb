package experiment

import "testing"

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
	if len(p) != len(order) {
		t.Fatalf("%d presets, want %d", len(p), len(order))
	}
	for i, name := range order {
		s, ok := p[name]
		if !ok {
			t.Fatalf("no preset %q", name)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		k := i + 1
		if s.Preset != name || s.TrainFrames != 1000*k || s.RefFrames != 2000*k || s.BurnIn != k || s.EvalN != 100*k {
			t.Errorf("%s: %+v does not carry its name and system sizes", name, s)
		}
		if i > 0 {
			prev := p[order[i-1]]
			if s.SPIBMaxEpochs < prev.SPIBMaxEpochs || s.KMeansK < prev.KMeansK {
				t.Errorf("%s has a smaller budget than %s", name, order[i-1])
			}
		}
	}
	if got := p["quick"].Phase2Epochs; got != 12 {
		t.Errorf("quick Phase2Epochs = %d, want the override 12", got)
	}
	if d := StandardPresets(PresetSystemSizes{Quick: n(2)})["quick"].Phase2Epochs; d == 12 || d < 1 {
		t.Errorf("quick Phase2Epochs without override = %d, want the standard budget", d)
	}
}
