package systems

import (
	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/potentials"
)

// The built-in systems. Adding one is one entry here.
var (
	// ThreeHole: one particle on the three-hole potential (Metzner, Schütte
	// & Vanden-Eijnden, J. Chem. Phys. 125, 084110 (2006)), docs/systems.md's
	// default MD from the left deep hole; features and k-means on (x, y).
	ThreeHole = &System{
		Name: "threehole", Aliases: []string{"three-hole"}, MetaName: "three-hole",
		Title:     "three-hole potential, one particle in 2-D (Metzner, Schütte & Vanden-Eijnden 2006)",
		Potential: potentials.ThreeHole{},
		Parameters: map[string]any{
			"formula": "3·exp(−x²−(y−1/3)²) − 3·exp(−x²−(y−5/3)²) − 5·exp(−(x−1)²−y²) − 5·exp(−(x+1)²−y²) + 0.2·x⁴ + 0.2·(y−1/3)⁴",
		},
		N: 1, Dim: 2, X0: []float64{-1.05, -0.04},
		Dt: 0.01, Gamma: 1, Stride: 10, Frames: 1_000_000,
		Temperatures: []float64{0.6, 0.8, 1.0, 1.2, 1.4},
		FeatureNames: []string{"x [σ]", "y [σ]"}, LabelNames: []string{"x [σ]", "y [σ]"},
		StandardizeLabels: true, KMeansK: 100,
		// The quadrature box of the benchmark's exact reference.
		Exact: &GridBox{X0: -3, X1: 3, Y0: -2.5, Y1: 3.5, NX: 300, NY: 300},
	}

	// LJ7: seven Lennard-Jones particles in the plane with the
	// centre-of-mass restraint (docs/systems.md), from the hexagon; features =
	// the 7 sorted coordination numbers, k-means on standardised (μ2, μ3)
	// (Tribello, Ceriotti & Parrinello, PNAS 107, 17509 (2010)); 10⁵
	// frames per temperature as for the training runs.
	LJ7 = &System{
		Name: "lj7", Aliases: []string{"lj7-2d"}, MetaName: "lj7-2d",
		Title:     "LJ7 in 2-D with a centre-of-mass restraint",
		Potential: potentials.LJ7(),
		Parameters: map[string]any{
			"lennard_jones": "U = Σ_{i<j} 4ε((σ/r)¹² − (σ/r)⁶), ε = 1, σ = 1, all pairs, no cutoff",
			"restraint":     "½·Kappa·(|r_i − r_com|² − R2) for each particle with |r_i − r_com|² > R2",
		},
		N: 7, Dim: 2, X0: potentials.LJ7Hexagon(),
		Dt: 0.005, Gamma: 1, Stride: 100, Frames: 100_000,
		Temperatures: []float64{0.2, 0.3, 0.4, 0.5, 0.6},
		// Overdamped and MALA: Euler–Maruyama is stable while dt/γ times
		// the LJ wall's curvature (456 ε/σ² at r = σ, ≈ 2300 at 0.9 σ)
		// stays below 2. Measured: at dt 0.002 and 0.001 the cluster blew
		// up within 1.2·10⁴ steps at kT 0.6; 0.0005 ran 10⁷ steps at kT 0.2
		// and 0.6 (MALA acceptance 97 % and 91 %). TestSanityQuietOnDefaults.
		DtOverdamped: 0.0005,
		Featurizer: &Featurizer{Dim: 7, LabelDim: 2, LabelFile: "moments",
			Compute: func(feat, label, frames []float64, n int) error {
				return analysis.FeaturesLJ7(feat, label, frames[:14*n], 7, 2)
			}},
		FeatureNames:      []string{"c1 … c7: coordination numbers (r0 = 1.5 σ), sorted ascending"},
		LabelNames:        []string{"μ2", "μ3"},
		StandardizeLabels: true, KMeansK: 100,
	}

	// MuellerBrown: one particle on the Müller–Brown potential (Müller &
	// Brown, Theor. Chim. Acta 53, 75 (1979)), from its deepest minimum.
	// Not in docs/systems.md: the curvature at the minima is up to ~4·10³ ε/σ²,
	// an angular frequency ω ≈ 63/τ for m = 1, so dt = 0.001 τ keeps
	// ω·dt ≈ 0.06; energies are O(100), hence kT of 10–20.
	MuellerBrown = &System{
		Name: "muellerbrown", Aliases: []string{"mueller-brown", "mb"}, MetaName: "mueller-brown",
		Title:     "Müller–Brown potential, one particle in 2-D (Müller & Brown 1979)",
		Potential: potentials.MuellerBrown{},
		Parameters: map[string]any{
			"formula": "Σ_k A_k·exp(a_k(x−x0_k)² + b_k(x−x0_k)(y−y0_k) + c_k(y−y0_k)²)",
			"A":       []float64{-200, -100, -170, 15}, "a": []float64{-1, -1, -6.5, 0.7},
			"b": []float64{0, 0, 11, 0.6}, "c": []float64{-10, -10, -6.5, 0.7},
			"x0": []float64{1, 0, -0.5, -1}, "y0": []float64{0, 0.5, 1.5, 1},
		},
		N: 1, Dim: 2, X0: []float64{-0.558, 1.442},
		Dt: 0.001, Gamma: 1, Stride: 100, Frames: 100_000,
		Temperatures: []float64{10, 15, 20},
		FeatureNames: []string{"x [σ]", "y [σ]"}, LabelNames: []string{"x [σ]", "y [σ]"},
		KMeansK: 100,
	}

	builtins = []*System{ThreeHole, LJ7, MuellerBrown}
)
