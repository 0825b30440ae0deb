package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dspib/dspib/md/traj"
)

// loadSimFolder returns, per temperature in metadata order, the sorted
// coordination numbers and moments for LJ7 and the positions for the
// three-hole system, equal to the files on disk.
func TestLoadSimFolder(t *testing.T) {
	lj := t.TempDir()
	mustRun(t, "simulate", "-system", "lj7", "-temps", "0.5,0.2", "-frames", "30", "-stride", "10", "-quiet", "-out", lj)
	sf, err := loadSimFolder(lj)
	if err != nil {
		t.Fatal(err)
	}
	if len(sf.Replicas) != 2 || sf.Replicas[0].KT != 0.5 || sf.Replicas[1].KT != 0.2 || sf.Meta.System != "lj7-2d" {
		t.Fatalf("replicas %+v", sf.Replicas)
	}
	for _, r := range sf.Replicas {
		tag := tempTag(r.KT)
		if r.Frames != 30 || r.Cols != 7 {
			t.Errorf("%s: features (%d, %d), want (30, 7)", tag, r.Frames, r.Cols)
		}
		if !slices.Equal(r.Features, readNPY(t, filepath.Join(lj, "features_"+tag+".npy"), 30, 7)) ||
			!slices.Equal(r.Moments, readNPY(t, filepath.Join(lj, "moments_"+tag+".npy"), 30, 2)) {
			t.Errorf("%s: loaded features or moments differ from the files", tag)
		}
	}

	th := t.TempDir()
	mustRun(t, "simulate", "-system", "threehole", "-temps", "1", "-frames", "40", "-quiet", "-out", th)
	sf, err = loadSimFolder(th)
	if err != nil {
		t.Fatal(err)
	}
	r := sf.Replicas[0]
	if r.Cols != 2 || r.Moments != nil || !slices.Equal(r.Features, readNPY(t, filepath.Join(th, "traj_kT1.000.npy"), 40, 2)) {
		t.Errorf("three-hole: features are not the positions (cols %d, moments %v)", r.Cols, r.Moments)
	}

	// A file that disagrees with the metadata is named in the error.
	if err := traj.WriteNPY(filepath.Join(th, "traj_kT1.000.npy"), 39, 2, make([]float64, 78)); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSimFolder(th); err == nil || !strings.Contains(err.Error(), "traj_kT1.000.npy") {
		t.Errorf("short trajectory: %v", err)
	}
	if err := os.Remove(filepath.Join(th, metadataName)); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSimFolder(th); err == nil {
		t.Error("folder without metadata accepted")
	}
}
