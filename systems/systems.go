// Package systems is the catalogue of model systems: for each one the
// potential with its full parameters, masses, dimension, start
// configuration, the default Langevin settings, the featuriser that turns
// stored frames into model features, the k-means label features with their
// standardisation and, for a one-particle 2-D system, the box of the exact
// Boltzmann quadrature. The CLI (dspib simulate, train), the run store
// (md/runstore), the benchmarks and the tests all read it, so a system's
// constants live in one place.
//
// Units are reduced (k_B = 1): kT in ε, lengths in σ, masses in m, time in
// τ = σ·sqrt(m/ε), γ in 1/τ.
//
// A built-in system is one entry in builtins (catalogue.go). A user's own
// system is a System value made in Go, optionally registered with Register
// so that it can be looked up by name like a built-in one.
package systems

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/potentials"
)

// System describes a model system and its defaults. It is a static
// description (shared, never modified after it is built or registered); the
// mutable state of a run lives in md.State.
type System struct {
	// Name is the catalogue key and the short name of folders and reports
	// ("threehole"); Aliases are other accepted spellings.
	Name    string
	Aliases []string
	// MetaName is the system name written into run metadata ("three-hole").
	MetaName string
	// Title is a one-line description with its reference.
	Title string

	// Potential is the energy function; it must be safe for concurrent use.
	Potential potentials.Potential
	// Parameters spells out constants the potential's Go value does not
	// carry (its formula's coefficients), so that run metadata records the
	// potential in full.
	Parameters map[string]any
	// N particles in Dim dimensions, each of mass Mass [m] (0 means 1).
	N, Dim int
	Mass   float64
	// X0 is the start configuration [σ], N×Dim row-major. Use Start for a
	// copy.
	X0 []float64

	// Default Langevin dynamics: time step Dt [τ], friction Gamma [1/τ], a
	// frame every Stride steps, Frames frames per temperature, at the
	// temperatures Temperatures (kT [ε]).
	Dt, Gamma    float64
	Stride       int64
	Frames       int64
	Temperatures []float64
	// DtOverdamped is the default time step [τ] of the first-order schemes
	// (overdamped Euler–Maruyama, MALA), whose stability limit is set by
	// dt/(γ·m) against the stiffest curvature rather than by dt against the
	// fastest period; 0 means Dt. See DefaultDt.
	DtOverdamped float64

	// Featurizer turns frames into model and label features; nil means the
	// positions themselves are both.
	Featurizer *Featurizer
	// FeatureNames names the model features (for reports), LabelNames the
	// label (k-means) features.
	FeatureNames, LabelNames []string
	// StandardizeLabels: k-means runs on the label features standardised
	// per column (zero mean, unit population standard deviation over all
	// frames), so that each counts equally (docs/method.md §1: LJ7 on standardised
	// (μ2, μ3)).
	StandardizeLabels bool
	// KMeansK is the default number of initial k-means states (docs/method.md §1:
	// 100).
	KMeansK int

	// Exact, if not nil, is the box of a Boltzmann quadrature grid: the
	// system is one particle in 2-D and its exact density can be pushed
	// through an encoder (analysis.BoltzmannGrid).
	Exact *GridBox
}

// Featurizer computes features from stored frames.
type Featurizer struct {
	// Dim model features and LabelDim label features per frame.
	Dim, LabelDim int
	// LabelFile is the file stem under which the run store writes the
	// label features ("moments" → moments_kT0.500.npy); the model
	// features go to "features".
	LabelFile string
	// Compute writes the model features of n frames (frames: n × N·Dim
	// coordinates) into feat (n × Dim) and the label features into label
	// (n × LabelDim). It must be deterministic and safe for concurrent use.
	Compute func(feat, label, frames []float64, n int) error
}

// GridBox is a rectangle [X0,X1]×[Y0,Y1] [σ] with NX×NY midpoint cells.
type GridBox struct {
	X0, X1, Y0, Y1 float64
	NX, NY         int
}

// Len returns the number of coordinates of one frame, N·Dim.
func (s *System) Len() int { return s.N * s.Dim }

// Start returns a copy of the start configuration X0.
func (s *System) Start() []float64 { return slices.Clone(s.X0) }

// Masses returns the N particle masses [m].
func (s *System) Masses() []float64 {
	m := s.Mass
	if m == 0 {
		m = 1
	}
	out := make([]float64, s.N)
	for i := range out {
		out[i] = m
	}
	return out
}

// MD returns the md.System of s (a fresh value sharing the potential).
func (s *System) MD() *md.System {
	return &md.System{Potential: s.Potential, Masses: s.Masses(), Dim: s.Dim}
}

// FeatureDim returns the number of model features per frame.
func (s *System) FeatureDim() int {
	if s.Featurizer == nil {
		return s.Len()
	}
	return s.Featurizer.Dim
}

// LabelDim returns the number of label (k-means) features per frame.
func (s *System) LabelDim() int {
	if s.Featurizer == nil {
		return s.Len()
	}
	return s.Featurizer.LabelDim
}

// Features converts n frames (n × N·Dim coordinates, row-major) into model
// features (n × d) and label features (n × labelDim). Without a Featurizer
// both are a copy of the frames.
func (s *System) Features(frames []float64, n int) (feat []float64, d int, label []float64, labelDim int, err error) {
	if n < 0 || len(frames) < n*s.Len() {
		return nil, 0, nil, 0, fmt.Errorf("systems: %s: %d values for %d frames of %d coordinates", s.Name, len(frames), n, s.Len())
	}
	frames = frames[:n*s.Len()]
	if s.Featurizer == nil {
		f := slices.Clone(frames)
		return f, s.Len(), f, s.Len(), nil
	}
	fz := s.Featurizer
	feat = make([]float64, n*fz.Dim)
	label = make([]float64, n*fz.LabelDim)
	if err := fz.Compute(feat, label, frames, n); err != nil {
		return nil, 0, nil, 0, fmt.Errorf("systems: %s features: %w", s.Name, err)
	}
	return feat, fz.Dim, label, fz.LabelDim, nil
}

// Validate reports the first problem of s, naming the field.
func (s *System) Validate() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("systems: System.Name is empty")
	case s.Potential == nil:
		return fmt.Errorf("systems: %s: Potential is nil", s.Name)
	case s.N < 1 || s.Dim < 1:
		return fmt.Errorf("systems: %s: N = %d, Dim = %d, want both ≥ 1", s.Name, s.N, s.Dim)
	case len(s.X0) != s.Len():
		return fmt.Errorf("systems: %s: X0 has %d values, want N·Dim = %d", s.Name, len(s.X0), s.Len())
	case s.Mass < 0 || math.IsNaN(s.Mass) || math.IsInf(s.Mass, 0):
		return fmt.Errorf("systems: %s: Mass = %v, want finite ≥ 0 (0 means 1)", s.Name, s.Mass)
	case !(s.Dt > 0) || math.IsInf(s.Dt, 0):
		return fmt.Errorf("systems: %s: Dt = %v, want finite > 0", s.Name, s.Dt)
	case !(s.DtOverdamped >= 0) || math.IsInf(s.DtOverdamped, 0):
		return fmt.Errorf("systems: %s: DtOverdamped = %v, want finite ≥ 0 (0: Dt)", s.Name, s.DtOverdamped)
	case !(s.Gamma > 0) || math.IsInf(s.Gamma, 0):
		return fmt.Errorf("systems: %s: Gamma = %v, want finite > 0", s.Name, s.Gamma)
	case s.Stride < 1:
		return fmt.Errorf("systems: %s: Stride = %d, want ≥ 1", s.Name, s.Stride)
	case s.Frames < 1:
		return fmt.Errorf("systems: %s: Frames = %d, want ≥ 1", s.Name, s.Frames)
	case len(s.Temperatures) == 0:
		return fmt.Errorf("systems: %s: Temperatures is empty", s.Name)
	case s.Exact != nil && (s.N != 1 || s.Dim != 2):
		return fmt.Errorf("systems: %s: Exact needs one particle in 2-D, have N = %d, Dim = %d", s.Name, s.N, s.Dim)
	}
	for i, kT := range s.Temperatures {
		if !(kT > 0) || math.IsInf(kT, 0) {
			return fmt.Errorf("systems: %s: Temperatures[%d] = %v, want finite > 0", s.Name, i, kT)
		}
	}
	if fz := s.Featurizer; fz != nil {
		if fz.Dim < 1 || fz.LabelDim < 1 || fz.Compute == nil || fz.LabelFile == "" {
			return fmt.Errorf("systems: %s: Featurizer needs Dim ≥ 1, LabelDim ≥ 1, LabelFile and Compute", s.Name)
		}
	}
	if err := potentials.Validate(s.Potential, s.X0); err != nil {
		return fmt.Errorf("systems: %s: start configuration: %w", s.Name, err)
	}
	return nil
}

// PotentialJSON describes the potential in full for run metadata: its Go
// type, its exported parameters (terms listed for a potentials.Sum) and the
// catalogue's Parameters.
func (s *System) PotentialJSON() (json.RawMessage, error) {
	d := map[string]any{"terms": describe(s.Potential)}
	if len(s.Parameters) > 0 {
		d["parameters"] = s.Parameters
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("systems: %s: encoding the potential's parameters: %w", s.Name, err)
	}
	return b, nil
}

// describe lists p as {"type": Go type, "params": its value} per term.
func describe(p potentials.Potential) []map[string]any {
	if sum, ok := p.(potentials.Sum); ok {
		var out []map[string]any
		for _, t := range sum {
			out = append(out, describe(t)...)
		}
		return out
	}
	return []map[string]any{{"type": reflect.TypeOf(p).String(), "params": p}}
}

// DefaultDt returns the default time step [τ]: DtOverdamped (if set) for a
// first-order scheme, Dt otherwise.
func (s *System) DefaultDt(firstOrder bool) float64 {
	if firstOrder && s.DtOverdamped > 0 {
		return s.DtOverdamped
	}
	return s.Dt
}

// String is a one-line summary of the defaults, for help texts.
func (s *System) String() string {
	od := ""
	if s.DtOverdamped > 0 {
		od = fmt.Sprintf(" (overdamped/mala %g)", s.DtOverdamped)
	}
	return fmt.Sprintf("%-13s dt %g%s, stride %d, gamma %g, frames %d, temps %s",
		s.Name, s.Dt, od, s.Stride, s.Gamma, s.Frames, FormatTemps(s.Temperatures))
}

// FormatTemps writes temperatures as a comma-separated list, shortest form.
func FormatTemps(temps []float64) string {
	parts := make([]string, len(temps))
	for i, t := range temps {
		parts[i] = strconv.FormatFloat(t, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

var (
	mu       sync.RWMutex
	registry = slices.Clone(builtins)
)

// Lookup returns the system named name (its Name or an alias).
func Lookup(name string) (*System, bool) {
	mu.RLock()
	defer mu.RUnlock()
	for _, s := range registry {
		if s.Name == name || slices.Contains(s.Aliases, name) {
			return s, true
		}
	}
	return nil, false
}

// All returns the registered systems, built-ins first, in catalogue order.
func All() []*System {
	mu.RLock()
	defer mu.RUnlock()
	return slices.Clone(registry)
}

// Names returns the Name of every registered system.
func Names() []string {
	var out []string
	for _, s := range All() {
		out = append(out, s.Name)
	}
	return out
}

// Register adds a user's system to the catalogue after validating it. Its
// name and aliases must not clash with a registered one.
func Register(s *System) error {
	if err := s.Validate(); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	for _, name := range append([]string{s.Name}, s.Aliases...) {
		for _, r := range registry {
			if r.Name == name || slices.Contains(r.Aliases, name) {
				return fmt.Errorf("systems: Register: name %q is taken by %s", name, r.Name)
			}
		}
	}
	registry = append(registry, s)
	return nil
}
