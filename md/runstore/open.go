package runstore

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dspib/dspib/md/traj"
	"github.com/dspib/dspib/systems"
)

// Run is a complete run folder opened for reading. It holds only the
// metadata; every accessor reads its file when called.
type Run struct {
	// Dir is the folder and Meta its metadata.json.
	Dir  string
	Meta *traj.Metadata
	// Labels says which features the initial k-means labels use.
	Labels LabelInfo
	// N particles in Dim dimensions per frame.
	N, Dim int
}

// Open reads the metadata of the run folder dir. It refuses a run that is
// not complete (interrupted, or still running), naming the folder.
//
// A folder assembled from shards (SimulateShard) without metadata.json is
// read from its shard markers; if a shard is not complete the error names
// each missing shard (index, temperature, marker file).
func Open(dir string) (*Run, error) {
	meta, missing, err := readRunMetadata(dir)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		lines := make([]string, len(missing))
		for i, m := range missing {
			lines[i] = "  " + m.String()
		}
		return nil, fmt.Errorf("%s: the sharded run is incomplete, %d of %d shards missing:\n%s\nrun each missing shard (dspib simulate -shard I with the same flags) or wait for it to finish",
			dir, len(missing), len(meta.Temperatures), strings.Join(lines, "\n"))
	}
	if c, _ := meta.Extra[ExtraComplete].(bool); !c {
		return nil, fmt.Errorf("%s: the simulation is not complete (interrupted or still running); re-run the same simulation to finish it", dir)
	}
	if len(meta.Temperatures) == 0 {
		return nil, fmt.Errorf("%s: %s lists no temperatures", dir, MetadataName)
	}
	if why := checksumMismatch(dir, meta.Extra[ExtraChecksums], slices.Sorted(maps.Values(meta.Files))); why != "" {
		return nil, fmt.Errorf("%s: %s; re-run the simulation (it runs the changed temperatures again)", dir, why)
	}
	r := &Run{Dir: dir, Meta: meta}
	n, _ := meta.Extra[ExtraN].(float64)
	d, _ := meta.Extra[ExtraDim].(float64)
	r.N, r.Dim = int(n), int(d)
	if r.N < 1 || r.Dim < 1 {
		return nil, fmt.Errorf("%s: %s: extra.%s = %v, extra.%s = %v, want integers ≥ 1", dir, MetadataName, ExtraN, meta.Extra[ExtraN], ExtraDim, meta.Extra[ExtraDim])
	}
	r.Labels = LabelInfo{File: "traj"}
	if li, ok := meta.Extra[ExtraLabels]; ok {
		b, err := json.Marshal(li)
		if err == nil {
			err = json.Unmarshal(b, &r.Labels)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: extra.%s: %w", dir, MetadataName, ExtraLabels, err)
		}
	} else if _, lj7 := meta.Files["moments_"+traj.TempTag(meta.Temperatures[0])]; lj7 {
		// A folder of dspib simulate before the labels were recorded.
		r.Labels = labelInfo(systems.LJ7)
	}
	return r, nil
}

// Temperatures returns kT [ε] of every replica, in metadata order.
func (r *Run) Temperatures() []float64 { return slices.Clone(r.Meta.Temperatures) }

// System returns the catalogue entry the run was made with, if its metadata
// name is registered.
func (r *Run) System() (*systems.System, bool) {
	for _, s := range systems.All() {
		if s.MetaName == r.Meta.System || s.Name == r.Meta.System {
			return s, true
		}
	}
	return nil, false
}

// Frames returns the stored positions at kT [σ], frames × N·Dim row-major.
func (r *Run) Frames(kT float64) (data []float64, frames, cols int, err error) {
	return r.read("traj", kT)
}

// Energies returns the potential energy U [ε] of every stored frame at kT.
func (r *Run) Energies(kT float64) ([]float64, error) {
	u, _, _, err := r.read("energy", kT)
	return u, err
}

// Features returns the model features at kT, frames × d row-major: the
// featuriser's features file, or the positions when the system has none.
func (r *Run) Features(kT float64) (data []float64, frames, d int, err error) {
	if _, ok := r.Meta.Files["features_"+traj.TempTag(kT)]; ok {
		return r.read("features", kT)
	}
	return r.read("traj", kT)
}

// LabelFeatures returns the k-means label features at kT, frames × d
// row-major (LJ7: (μ2, μ3); three-hole: (x, y)); r.Labels.Standardize says
// whether k-means standardises them.
func (r *Run) LabelFeatures(kT float64) (data []float64, frames, d int, err error) {
	return r.read(r.Labels.File, kT)
}

// FilePath returns the path of the file of role stem at kT (e.g. "traj",
// kT 0.5 → DIR/traj_kT0.500.npy).
func (r *Run) FilePath(stem string, kT float64) (string, error) {
	role := stem + "_" + traj.TempTag(kT)
	name, ok := r.Meta.Files[role]
	if !ok {
		if !slices.Contains(r.Meta.Temperatures, kT) {
			return "", fmt.Errorf("%s: no temperature kT = %v (the run has %v)", r.Dir, kT, r.Meta.Temperatures)
		}
		return "", fmt.Errorf("%s: %s lists no file for %q", r.Dir, MetadataName, role)
	}
	return outPath(r.Dir, name), nil
}

// read reads the .npy file of role stem at kT and checks that it holds
// Meta.Frames rows.
func (r *Run) read(stem string, kT float64) ([]float64, int, int, error) {
	p, err := r.FilePath(stem, kT)
	if err != nil {
		return nil, 0, 0, err
	}
	data, rows, cols, err := traj.ReadNPY(p)
	if err != nil {
		return nil, 0, 0, err
	}
	if int64(rows) != r.Meta.Frames {
		return nil, 0, 0, fmt.Errorf("%s: %d frames, metadata says %d", p, rows, r.Meta.Frames)
	}
	return data, rows, cols, nil
}
