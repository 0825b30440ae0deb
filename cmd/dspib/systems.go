package main

import (
	"fmt"
	"math"
	"strconv"

	"github.com/dspib/dspib/potentials"
)

// systemSpec describes a model system the simulate command can run, with its
// default settings (systems.md). Units are reduced: kT in ε, dt in τ, γ in 1/τ,
// lengths in σ, masses m = 1.
type systemSpec struct {
	flagName string // value of -system
	metaName string // traj.Metadata.System
	// newPotential returns the potential; x0 the start positions, N×Dim.
	newPotential func() potentials.Potential
	x0           func() []float64
	n, dim       int

	dt     float64   // default time step [τ]
	stride int64     // default steps between frames
	gamma  float64   // default friction [1/τ]
	frames int64     // default frames per temperature
	temps  []float64 // default kT list [ε]

	// lj7Features: write sorted coordination numbers and (μ2, μ3) per frame.
	lj7Features bool
}

// systems lists the supported systems in the order of the help text.
var systems = []systemSpec{
	{
		// Metzner, Schütte & Vanden-Eijnden, J. Chem. Phys. 125, 084110 (2006);
		// defaults of systems.md: start in the left deep hole.
		flagName: "threehole", metaName: "three-hole",
		newPotential: func() potentials.Potential { return potentials.ThreeHole{} },
		x0:           func() []float64 { return []float64{-1.05, -0.04} },
		n:            1, dim: 2,
		dt: 0.01, stride: 10, gamma: 1, frames: 1_000_000,
		temps: []float64{0.6, 0.8, 1.0, 1.2, 1.4},
	},
	{
		// 2-D LJ7 with the centre-of-mass restraint (systems.md), from the
		// hexagon; 10⁵ frames per temperature as for the training runs.
		flagName: "lj7", metaName: "lj7-2d",
		newPotential: func() potentials.Potential { return potentials.LJ7() },
		x0:           potentials.LJ7Hexagon,
		n:            7, dim: 2,
		dt: 0.005, stride: 100, gamma: 1, frames: 100_000,
		temps:       []float64{0.2, 0.3, 0.4, 0.5, 0.6},
		lj7Features: true,
	},
	{
		// Müller & Brown, Theor. Chim. Acta 53, 75 (1979), from its deepest
		// minimum. Not in systems.md: the curvature at the minima is up to
		// ~4·10³ ε/σ², an angular frequency ω ≈ 63/τ for m = 1, so dt = 0.001 τ
		// keeps ω·dt ≈ 0.06; energies are O(100), hence kT of 10–20.
		flagName: "muellerbrown", metaName: "mueller-brown",
		newPotential: func() potentials.Potential { return potentials.MuellerBrown{} },
		x0:           func() []float64 { return []float64{-0.558, 1.442} },
		n:            1, dim: 2,
		dt: 0.001, stride: 100, gamma: 1, frames: 100_000,
		temps: []float64{10, 15, 20},
	},
}

// systemAliases maps accepted spellings of -system to flagName.
var systemAliases = map[string]string{
	"threehole": "threehole", "three-hole": "threehole",
	"lj7": "lj7", "lj7-2d": "lj7",
	"muellerbrown": "muellerbrown", "mueller-brown": "muellerbrown", "mb": "muellerbrown",
}

func lookupSystem(name string) (*systemSpec, bool) {
	canon, ok := systemAliases[name]
	if !ok {
		return nil, false
	}
	for i := range systems {
		if systems[i].flagName == canon {
			return &systems[i], true
		}
	}
	return nil, false
}

// tempTag names temperature kT in file names and metadata roles: "kT" and
// the value with three decimals (kT 0.6 → "kT0.600", 10 → "kT10.000"),
// or, when three decimals would round it, every digit needed to read it back
// exactly (0.6125 → "kT0.6125"). It is stable (depends only on kT) and
// injective: two different temperatures never share a tag, because a
// three-decimal tag is exact and a longer one is the shortest round-trip
// representation.
func tempTag(kT float64) string {
	short := strconv.FormatFloat(kT, 'f', 3, 64)
	if v, err := strconv.ParseFloat(short, 64); err == nil && v == kT {
		return "kT" + short
	}
	return "kT" + strconv.FormatFloat(kT, 'f', -1, 64)
}

// parseTemps parses a comma-separated kT list: every value finite and > 0,
// no duplicates.
func parseTemps(s string) ([]float64, error) {
	var temps []float64
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ',' {
			continue
		}
		field := s[start:i]
		start = i + 1
		v, err := strconv.ParseFloat(field, 64)
		if err != nil {
			return nil, usagef("-temps: value %d %q is not a number", len(temps)+1, field)
		}
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, usagef("-temps: value %d is kT = %v, want finite > 0", len(temps)+1, v)
		}
		for j, w := range temps {
			if w == v {
				return nil, usagef("-temps: kT = %v appears twice (values %d and %d)", v, j+1, len(temps)+1)
			}
		}
		temps = append(temps, v)
	}
	return temps, nil
}

func formatTemps(temps []float64) string {
	s := ""
	for i, t := range temps {
		if i > 0 {
			s += ","
		}
		s += strconv.FormatFloat(t, 'g', -1, 64)
	}
	return s
}

func (s *systemSpec) String() string {
	return fmt.Sprintf("%-13s dt %g, stride %d, gamma %g, frames %d, temps %s",
		s.flagName, s.dt, s.stride, s.gamma, s.frames, formatTemps(s.temps))
}
