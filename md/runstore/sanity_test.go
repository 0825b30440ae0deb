package runstore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/md/traj"
	"github.com/dspib/dspib/systems"
)

// Runs that used to exit 0 with garbage now stop with a *md.SanityError
// naming the replica, step and what was seen, and leave no final file:
// `dspib simulate -system lj7 -temps 0.2 -dt 0.03` (the cluster blows up),
// `-integrator mala -dt 0.05` (0 % acceptance, every frame identical) and
// `-integrator overdamped -dt 0.005` (LJ7's BAOAB step: Euler–Maruyama is
// unstable on the LJ core there and the cluster evaporates).
func TestSimulateStopsAbsurdRuns(t *testing.T) {
	for _, c := range []struct {
		integrator string
		dt         float64
		frames     int64
		seen       string
	}{
		{"baoab", 0.03, 2000, "kinetic temperature|potential energy"}, // which first depends on the seed
		{"mala", 0.05, 2000, "acceptance 0 of 1000 proposals"},
		{"overdamped", 0.005, 50, "potential energy"},
	} {
		t.Run(c.integrator, func(t *testing.T) {
			dir := t.TempDir()
			var log bytes.Buffer
			err := Simulate(context.Background(), Config{System: systems.LJ7, Temperatures: []float64{0.2},
				Integrator: c.integrator, Dt: c.dt, Frames: c.frames, Dir: dir, Log: &log})
			var se *md.SanityError
			require.ErrorAs(t, err, &se, "%v", err)
			for _, want := range []string{"replica 0 (kT=0.2)", "md: step ", "smaller time step", "fails the same way"} {
				assert.ErrorContains(t, err, want)
			}
			assert.Regexp(t, c.seen, err.Error())
			assert.NotContains(t, err.Error(), "re-run the same command")
			assert.Contains(t, log.String(), "stopped by an error")
			_, statErr := os.Stat(filepath.Join(dir, "traj_kT0.200.npy"))
			assert.ErrorIs(t, statErr, os.ErrNotExist, "a final trajectory was written")
			assert.False(t, Complete(Config{System: systems.LJ7, Temperatures: []float64{0.2},
				Integrator: c.integrator, Dt: c.dt, Frames: c.frames, Dir: dir}))
		})
	}
}

// No false alarm: every built-in system at its default dt and default
// temperatures, with BAOAB (energy and kinetic checks at every frame) and
// MALA (energy and acceptance), and overdamped Euler–Maruyama (each
// first-order scheme at the system's DefaultDt(true): LJ7's DtOverdamped). MALA's acceptance is recorded per temperature in
// metadata.json and shown in the progress summary, and kept when a
// complete folder is run again.
func TestSanityQuietOnDefaults(t *testing.T) {
	for _, sys := range []*systems.System{systems.ThreeHole, systems.LJ7, systems.MuellerBrown} {
		for _, integ := range []string{"baoab", "mala", "overdamped"} {
			t.Run(sys.Name+"/"+integ, func(t *testing.T) {
				dir := t.TempDir()
				cfg := Config{System: sys, Integrator: integ, Frames: 300}
				log := mustSimulate(t, cfg, dir)
				check := func() {
					m, err := traj.ReadMetadata(filepath.Join(dir, MetadataName))
					require.NoError(t, err)
					acc, ok := m.Extra[ExtraAcceptance].(map[string]any)
					if integ != "mala" {
						assert.False(t, ok, "acceptance recorded for %s", integ)
						return
					}
					require.True(t, ok, "no acceptance in the metadata")
					require.Len(t, acc, len(sys.Temperatures))
					for _, kT := range sys.Temperatures {
						a, _ := acc[traj.TempTag(kT)].(map[string]any)
						rate, _ := a["rate"].(float64)
						assert.Greater(t, rate, md.SanityWarnAcceptance, "kT %g: %v", kT, a)
						assert.Equal(t, float64(cfg.Frames*sys.Stride), a["proposed"], "kT %g", kT)
					}
				}
				check()
				if integ == "mala" {
					assert.Contains(t, log, "acceptance ")
					assert.NotContains(t, log, "warning")
					mustSimulate(t, cfg, dir) // complete: nothing runs
					check()
				}
			})
		}
	}
}

// MALA with a low but non-zero acceptance (LJ7 at kT 0.2 and dt 0.012: a
// few percent) completes with one warning in the notes and its rate in the
// metadata.
func TestSanityWarnsLowAcceptance(t *testing.T) {
	dir := t.TempDir()
	log := mustSimulate(t, Config{System: systems.LJ7, Temperatures: []float64{0.2}, Integrator: "mala", Dt: 0.012, Frames: 20}, dir)
	assert.Equal(t, 1, strings.Count(log, "warning: Metropolis acceptance"), log)
	assert.Contains(t, log, "consider a smaller time step (-dt)")
	m, err := traj.ReadMetadata(filepath.Join(dir, MetadataName))
	require.NoError(t, err)
	a := m.Extra[ExtraAcceptance].(map[string]any)["kT0.200"].(map[string]any)
	assert.Equal(t, 2000.0, a["proposed"])
	assert.Less(t, a["rate"], md.SanityWarnAcceptance)
	assert.Greater(t, a["rate"], md.SanityFailAcceptance)
}
