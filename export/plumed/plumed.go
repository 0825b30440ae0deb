// Package plumed writes a trained SPIB model with the linear encoder as a
// PLUMED 2 input fragment (G. A. Tribello et al., Comput. Phys. Commun. 185,
// 604 (2014); https://www.plumed.org), so that the learned latent variables
// can drive enhanced sampling, e.g. metadynamics, in any MD engine PLUMED is
// patched into.
//
// The fragment recomputes the model's input features from atomic positions
// with standard PLUMED actions (COORDINATION, SORT) and applies the model's
// standardisation and linear layer with COMBINE. Only the linear encoder can
// be written this way: it is the reason that encoder exists (docs/method.md,
// "Encoder").
//
// The package sits apart from learn/spib and analysis because it joins the
// two (the model and the feature definition) and adds a third vocabulary,
// PLUMED's input syntax, that neither should depend on.
package plumed

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/learn/spib"
)

// Switch exponents of the coordination numbers: PLUMED's RATIONAL switch
// s(r) = (1 − q^NN)/(1 − q^MM), q = (r − D_0)/R_0, with NN = 8, MM = 16 and
// D_0 = 0. Because 1 − q^16 = (1 − q^8)(1 + q^8) this is 1/(1 + q^8), the
// form analysis.Switch computes; PLUMED's own kernel (SwitchingFunction,
// MM = 2·NN with D_0 = 0) evaluates exactly that form from r², with no 0/0
// at r = R_0 and, without D_MAX, no cut-off or stretching.
const (
	SwitchNN = 8
	SwitchMM = 16
)

// Coordination describes features made of the coordination numbers
// c_i = Σ_{j≠i} s(r_ij) of N identical particles with the rational switch
// s(r) = 1/(1 + (r/R0)^8), sorted in ascending order: what
// analysis.CoordinationFeatures computes. Particle i of a frame (row i,
// 0-based) is PLUMED atom i+1.
type Coordination struct {
	// N is the number of particles (N ≥ 2), the number of features.
	N int
	// R0 is the switching distance r0 [σ, the package's reduced length].
	R0 float64
	// Name names the system in the header comment, e.g. "LJ7".
	Name string
}

// LJ7 is the feature description of the LJ7 cluster: the 7 coordination
// numbers with r0 = analysis.LJ7R0 = 1.5 σ, sorted (analysis.FeaturesLJ7).
var LJ7 = Coordination{N: 7, R0: analysis.LJ7R0, Name: "LJ7"}

// Check returns an error naming the first invalid field of f.
func (f Coordination) Check() error {
	if f.N < 2 {
		return fmt.Errorf("plumed: Coordination.N = %d particles, want ≥ 2", f.N)
	}
	if !(f.R0 > 0) || math.IsInf(f.R0, 0) {
		return fmt.Errorf("plumed: Coordination.R0 = %v, want finite > 0", f.R0)
	}
	return nil
}

// Labels of the values the fragment defines. Latent dimension k (1-based)
// is LabelZ + k, e.g. spib_z1; everything the fragment defines starts with
// "spib_" so that it cannot clash with labels of the surrounding input.
const (
	LabelCoord  = "spib_c"      // spib_c1 … spib_cN: coordination of atom i
	LabelSorted = "spib_sorted" // components .1 … .N, ascending
	LabelZ      = "spib_z"      // spib_z1 … spib_zd: the latent variables
)

// WriteLinearCV writes to w a PLUMED 2 input fragment that computes the
// latent means z = W·((x − μ)/σ) + b of m, a trained SPIB model with the
// Linear encoder, from atomic positions, with the input features x described
// by f (m.D must equal f.N). source names where the model came from (e.g.
// its folder) for the header comment; it may be empty.
//
// The fragment defines, for atoms 1 … N in the order of the package's
// frames,
//
//	spib_cI:      COORDINATION GROUPA=I GROUPB=<all other atoms>
//	              SWITCH={RATIONAL R_0=r0 D_0=0 NN=8 MM=16}
//	spib_sorted:  SORT ARG=spib_c1,…,spib_cN  (ascending: .1 is the smallest)
//	spib_zK_wx:   COMBINE ARG=spib_sorted.1,… COEFFICIENTS=W_Kj/σ_j
//	              PARAMETERS=μ_j POWERS=1,… PERIODIC=NO
//	spib_zK:      COMBINE ARG=spib_zK_wx PARAMETERS=−b_K PERIODIC=NO
//
// COMBINE computes Σ_j c_j (x_j − a_j)^{p_j}, so spib_zK_wx is
// Σ_j W_Kj (x_j − μ_j)/σ_j and spib_zK adds the bias as 1·(v − (−b_K)).
// Numbers are written with the shortest decimal form that reads back to the
// same float64. A commented METAD and PRINT example closes the fragment.
//
// Lengths: R_0 is in the package's reduced unit σ. PLUMED's default length
// unit is the nanometre, so the main input must begin with UNITS NATURAL
// (an engine in reduced Lennard-Jones units) or UNITS LENGTH=<σ in nm>
// (an engine in physical units: PLUMED's length unit becomes σ); the header
// says so. The
// particles move in a plane in this package; PLUMED measures 3-D distances,
// which agree when all z coordinates are equal.
//
// It returns an error, and writes nothing, if m is nil, does not have the
// Linear encoder, has a parameter or standardisation value that is not
// finite, or has m.D ≠ f.N; write errors are returned as they come.
func WriteLinearCV(w io.Writer, m *spib.Model, f Coordination, source string) error {
	lin, err := linearOf(m, f)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	writeFragment(bw, lin, f, m, source)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("plumed: writing the fragment: %w", err)
	}
	return nil
}

// linear is the encoder of a Linear SPIB model in the form the fragment
// needs: z_k = Σ_j coef[k][j]·(x_j − mean[j]) + bias[k].
type linear struct {
	coef [][]float64 // d × D: W_kj/σ_j (standardised weight over the feature's std)
	mean []float64   // D: μ_j, original feature units
	bias []float64   // d: b_k
}

// linearOf checks m against f and extracts its linear encoder.
func linearOf(m *spib.Model, f Coordination) (*linear, error) {
	if m == nil {
		return nil, fmt.Errorf("plumed: the model is nil")
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	if enc := m.Config().Encoder; enc != spib.Linear {
		return nil, fmt.Errorf("plumed: the model has the %q encoder; only the %q encoder z = W x + b can be written as a PLUMED CV (train with -encoder linear)", enc, spib.Linear)
	}
	if m.D != f.N {
		return nil, fmt.Errorf("plumed: the model has D = %d input features, but %s features are the %d sorted coordination numbers of %d particles",
			m.D, f.display(), f.N, f.N)
	}
	d, D := m.LatentDim(), m.D
	if len(m.Std.Mean) != D || len(m.Std.Std) != D {
		return nil, fmt.Errorf("plumed: the model's standardisation has %d means and %d standard deviations, want D = %d each",
			len(m.Std.Mean), len(m.Std.Std), D)
	}
	var W, b []float64
	for _, p := range m.EncoderParams() {
		switch p.Name {
		case "enc.mean.W":
			W = p.Data
		case "enc.mean.b":
			b = p.Data
		}
	}
	if len(W) != d*D || len(b) != d {
		return nil, fmt.Errorf("plumed: the model's linear encoder has %d weights and %d biases, want d×D = %d×%d and d = %d",
			len(W), len(b), d, D, d)
	}
	for j := range D {
		if mu, s := m.Std.Mean[j], m.Std.Std[j]; !finite(mu) || !(s > 0) || !finite(s) {
			return nil, fmt.Errorf("plumed: feature %d has standardisation mean %v, std %v; want finite, std > 0", j, mu, s)
		}
	}
	lin := &linear{coef: make([][]float64, d), mean: m.Std.Mean, bias: b}
	for k := range d {
		if !finite(b[k]) {
			return nil, fmt.Errorf("plumed: encoder bias b[%d] = %v is not finite", k, b[k])
		}
		lin.coef[k] = make([]float64, D)
		for j := range D {
			c := W[k*D+j] / m.Std.Std[j]
			if !finite(c) {
				return nil, fmt.Errorf("plumed: encoder weight W[%d][%d]/σ = %v is not finite", k, j, c)
			}
			lin.coef[k][j] = c
		}
	}
	return lin, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// display is the system's name for messages and comments.
func (f Coordination) display() string {
	if f.Name != "" {
		return f.Name
	}
	return fmt.Sprintf("%d-particle", f.N)
}

// num formats v as the shortest decimal that parses back to the same
// float64.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// joinNum formats vs as a comma-separated PLUMED vector.
func joinNum(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = num(v)
	}
	return strings.Join(s, ",")
}

// others returns the 1-based atoms 1 … n except i as a PLUMED atom list with
// ranges, e.g. "1-2,4-7" for i = 3, n = 7.
func others(i, n int) string {
	var parts []string
	add := func(lo, hi int) {
		switch {
		case lo > hi:
		case lo == hi:
			parts = append(parts, strconv.Itoa(lo))
		default:
			parts = append(parts, fmt.Sprintf("%d-%d", lo, hi))
		}
	}
	add(1, i-1)
	add(i+1, n)
	return strings.Join(parts, ",")
}

func writeFragment(w *bufio.Writer, lin *linear, f Coordination, m *spib.Model, source string) {
	d, n := len(lin.coef), f.N
	cfg := m.Config()
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }

	p("# PLUMED 2 input fragment: the SPIB collective variables of a dspib model.")
	if source != "" {
		p("# Model: %s", strings.ReplaceAll(source, "\n", " "))
	}
	p("# SPIB with the linear encoder: D = %d input features, d = %d latent variables,", m.D, d)
	p("# K = %d states, lag %d frames, beta = %s, log-variance %s.", m.K, cfg.Lag, num(max(cfg.Beta, 0)), cfg.LogVar) // Beta < 0 means β = 0
	p("# Defined here: %s1 ... %s%d, the latent means z = W (x - mu)/sigma + b of the", LabelZ, LabelZ, d)
	p("# %s features x: the coordination numbers c_i = sum_{j!=i} s(r_ij) of %d", f.display(), n)
	p("# particles, s(r) = 1/(1 + (r/R_0)^8) (RATIONAL with NN=%d, MM=%d, D_0=0 is exactly", SwitchNN, SwitchMM)
	p("# this), sorted in ascending order.")
	p("#")
	p("# Atoms: PLUMED atoms 1-%d (1-based) are particles 0-%d of the dspib frames, in", n, n-1)
	p("# that order; renumber GROUPA/GROUPB if the %d particles sit elsewhere in your system.", n)
	p("# Units: R_0 = %s is in the reduced length sigma of the package, but PLUMED reads", num(f.R0))
	p("# lengths in nm unless told otherwise. At the very beginning of the main input put")
	p("# either UNITS NATURAL (MD engine in reduced LJ units; then kB = 1) or")
	p("# UNITS LENGTH=<sigma in nm> (e.g. 0.34 for argon), which makes PLUMED's length sigma.")
	p("# dspib moves the particles in a plane; PLUMED measures 3-D distances, which agree")
	p("# when all particles have the same z.")
	p("")
	for i := 1; i <= n; i++ {
		p("%s%d: COORDINATION GROUPA=%d GROUPB=%s SWITCH={RATIONAL R_0=%s D_0=0 NN=%d MM=%d}",
			LabelCoord, i, i, others(i, n), num(f.R0), SwitchNN, SwitchMM)
	}
	args := make([]string, n)
	for i := range args {
		args[i] = fmt.Sprintf("%s%d", LabelCoord, i+1)
	}
	p("")
	p("# Sorted coordination numbers, ascending: %s.1 is the smallest.", LabelSorted)
	p("%s: SORT ARG=%s", LabelSorted, strings.Join(args, ","))
	sorted := make([]string, n)
	ones := make([]string, n)
	for i := range sorted {
		sorted[i] = fmt.Sprintf("%s.%d", LabelSorted, i+1)
		ones[i] = "1"
	}
	p("")
	p("# Linear encoder: %sK_wx = sum_j (W_Kj/sigma_j) (x_j - mu_j), then %sK = %sK_wx + b_K.", LabelZ, LabelZ, LabelZ)
	zs := make([]string, d)
	for k := range d {
		z := fmt.Sprintf("%s%d", LabelZ, k+1)
		zs[k] = z
		p("%s_wx: COMBINE ARG=%s COEFFICIENTS=%s PARAMETERS=%s POWERS=%s PERIODIC=NO",
			z, strings.Join(sorted, ","), joinNum(lin.coef[k]), joinNum(lin.mean), strings.Join(ones, ","))
		p("%s: COMBINE ARG=%s_wx COEFFICIENTS=1 PARAMETERS=%s POWERS=1 PERIODIC=NO", z, z, num(-lin.bias[k]))
	}
	p("")
	p("# Example use (edit, then uncomment). SIGMA: about half the spread of each %sK", LabelZ)
	p("# within one state (see latents.npy); HEIGHT in PLUMED's energy unit; TEMP the")
	p("# simulation temperature (with UNITS NATURAL, kT in epsilon).")
	sig := make([]string, d)
	for k := range sig {
		sig[k] = fmt.Sprintf("SIGMA%d", k+1)
	}
	p("# metad: METAD ARG=%s SIGMA=%s HEIGHT=0.1 PACE=500 BIASFACTOR=10 TEMP=KT FILE=HILLS",
		strings.Join(zs, ","), strings.Join(sig, ","))
	p("# PRINT ARG=%s,metad.bias STRIDE=100 FILE=COLVAR", strings.Join(zs, ","))
}
