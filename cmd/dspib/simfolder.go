package main

import (
	"fmt"

	"github.com/dspib/dspib/md/traj"
)

// simFolder is a finished simulate folder read back for later stages
// (training): the metadata and, per temperature, the D-SPIB input features.
type simFolder struct {
	Dir  string
	Meta *traj.Metadata
	// Replicas are in the order of Meta.Temperatures.
	Replicas []simReplica
}

// simReplica holds one temperature's data.
type simReplica struct {
	KT float64 // temperature [ε]
	// Features holds Frames × Cols values, row-major: for LJ7 the sorted
	// coordination numbers (Cols = 7, dimensionless), for the one-particle
	// systems the positions (x, y) [σ] themselves.
	Features     []float64
	Frames, Cols int
	// Moments holds Frames × 2 values (μ2, μ3) for LJ7, the variables of
	// the initial k-means labels; nil for the other systems.
	Moments []float64
}

// loadSimFolder reads the features of every temperature of the simulate run
// in dir. It refuses a run that is not complete (interrupted, or still
// running) and files whose shape disagrees with the metadata, naming the file.
func loadSimFolder(dir string) (*simFolder, error) {
	meta, err := traj.ReadMetadata(outPath(dir, metadataName))
	if err != nil {
		return nil, err
	}
	if c, _ := meta.Extra[extraComplete].(bool); !c {
		return nil, fmt.Errorf("%s: the simulate run is not complete (interrupted or still running); re-run the same dspib simulate command to finish it", dir)
	}
	if len(meta.Temperatures) == 0 {
		return nil, fmt.Errorf("%s: %s lists no temperatures", dir, metadataName)
	}
	_, lj7 := meta.Files["features_"+tempTag(meta.Temperatures[0])]
	sf := &simFolder{Dir: dir, Meta: meta, Replicas: make([]simReplica, len(meta.Temperatures))}
	for i, kT := range meta.Temperatures {
		tag := tempTag(kT)
		r := &sf.Replicas[i]
		r.KT = kT
		role := "traj_" + tag
		if lj7 {
			role = "features_" + tag
		}
		if r.Features, r.Frames, r.Cols, err = loadRole(dir, meta, role); err != nil {
			return nil, err
		}
		if lj7 {
			var rows, cols int
			if r.Moments, rows, cols, err = loadRole(dir, meta, "moments_"+tag); err != nil {
				return nil, err
			}
			if rows != r.Frames || cols != 2 {
				return nil, fmt.Errorf("%s: moments_%s has shape (%d, %d), want (%d, 2)", dir, tag, rows, cols, r.Frames)
			}
		}
	}
	return sf, nil
}

// loadRole reads the .npy file of a role listed in meta and checks that it
// holds meta.Frames rows.
func loadRole(dir string, meta *traj.Metadata, role string) ([]float64, int, int, error) {
	name, ok := meta.Files[role]
	if !ok {
		return nil, 0, 0, fmt.Errorf("%s: %s lists no file for %q", dir, metadataName, role)
	}
	data, rows, cols, err := traj.ReadNPY(outPath(dir, name))
	if err != nil {
		return nil, 0, 0, err
	}
	if int64(rows) != meta.Frames {
		return nil, 0, 0, fmt.Errorf("%s: %s has %d frames, metadata says %d", dir, name, rows, meta.Frames)
	}
	return data, rows, cols, nil
}
