package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/md/runstore"
	"github.com/dspib/dspib/md/traj"
)

// A simulate folder opens with runstore.Open: per temperature in metadata
// order, the sorted coordination numbers and moments for LJ7 and the
// positions for the three-hole system, equal to the files on disk.
func TestOpenSimulateFolder(t *testing.T) {
	lj := t.TempDir()
	mustRun(t, "simulate", "-system", "lj7", "-temps", "0.5,0.2", "-frames", "30", "-stride", "10", "-quiet", "-out", lj)
	run, err := runstore.Open(lj)
	require.NoError(t, err)
	require.Equal(t, []float64{0.5, 0.2}, run.Temperatures())
	require.Equal(t, "lj7-2d", run.Meta.System)
	assert.Equal(t, runstore.LabelInfo{File: "moments", Names: []string{"μ2", "μ3"}, Standardize: true}, run.Labels)
	for _, kT := range run.Temperatures() {
		tag := traj.TempTag(kT)
		feat, rows, cols, err := run.Features(kT)
		require.NoError(t, err)
		assert.Equal(t, [2]int{30, 7}, [2]int{rows, cols}, tag)
		assert.Equal(t, readNPY(t, filepath.Join(lj, "features_"+tag+".npy"), 30, 7), feat, tag)
		mom, _, cols, err := run.LabelFeatures(kT)
		require.NoError(t, err)
		assert.Equal(t, 2, cols)
		assert.Equal(t, readNPY(t, filepath.Join(lj, "moments_"+tag+".npy"), 30, 2), mom, tag)
	}

	th := t.TempDir()
	mustRun(t, "simulate", "-system", "threehole", "-temps", "1", "-frames", "40", "-quiet", "-out", th)
	run, err = runstore.Open(th)
	require.NoError(t, err)
	feat, _, cols, err := run.Features(1)
	require.NoError(t, err)
	assert.Equal(t, 2, cols)
	assert.Equal(t, readNPY(t, filepath.Join(th, "traj_kT1.000.npy"), 40, 2), feat, "three-hole features are the positions")
	lab, _, _, err := run.LabelFeatures(1)
	require.NoError(t, err)
	assert.Equal(t, feat, lab)

	// A file that disagrees with the metadata is named in the error.
	require.NoError(t, traj.WriteNPY(filepath.Join(th, "traj_kT1.000.npy"), 39, 2, make([]float64, 78)))
	_, _, _, err = run.Features(1)
	assert.ErrorContains(t, err, "traj_kT1.000.npy")
	require.NoError(t, os.Remove(filepath.Join(th, runstore.MetadataName)))
	_, err = runstore.Open(th)
	assert.Error(t, err, "folder without metadata accepted")
}
