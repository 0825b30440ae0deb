package analysis

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Boltzmann reweighting of MD run at one or several temperatures to another
// temperature: the baseline a computational chemist reaches for before any
// generative model. All weights are computed in log space and normalised
// with log-sum-exp, so energies of thousands of kT do not overflow.

// checkEnergies returns an error naming the first non-finite energy of u.
func checkEnergies(name string, u []float64) error {
	if len(u) == 0 {
		return fmt.Errorf("analysis: %s: no frames", name)
	}
	for i, v := range u {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("analysis: %s: energy of frame %d is %v", name, i, v)
		}
	}
	return nil
}

func checkKT(name string, kT float64) error {
	if !(kT > 0) || math.IsInf(kT, 0) {
		return fmt.Errorf("analysis: %s: kT = %v, want finite > 0", name, kT)
	}
	return nil
}

// normaliseLog overwrites the log-weights lw with exp(lw − LSE(lw)): weights
// summing to one.
func normaliseLog(lw []float64) {
	m := math.Inf(-1)
	for _, v := range lw {
		m = math.Max(m, v)
	}
	s := 0.0
	for _, v := range lw {
		s += math.Exp(v - m)
	}
	ls := m + math.Log(s)
	for i, v := range lw {
		lw[i] = math.Exp(v - ls)
	}
}

// Reweight writes into dst (len(u)) the normalised weights that turn frames
// sampled from the Boltzmann distribution at kT, with potential energies u
// [ε], into a sample at kTTarget [ε]:
//
//	w_i ∝ exp(−u_i (1/kTTarget − 1/kT)),  Σ w_i = 1.
//
// The weights are exact in expectation; their spread (see KishESS) says
// how much of the sample survives.
func Reweight(dst, u []float64, kT, kTTarget float64) error {
	if len(dst) != len(u) {
		return fmt.Errorf("analysis: Reweight: %d weights for %d energies", len(dst), len(u))
	}
	if err := checkEnergies("Reweight", u); err != nil {
		return err
	}
	if err := checkKT("Reweight (sampled)", kT); err != nil {
		return err
	}
	if err := checkKT("Reweight (target)", kTTarget); err != nil {
		return err
	}
	db := 1/kTTarget - 1/kT
	for i, v := range u {
		dst[i] = -v * db
	}
	normaliseLog(dst)
	return nil
}

// KishESS returns Kish's effective sample size (Σw)²/Σw² of the weights w:
// n for equal weights, 1 when one weight dominates, 0 for no positive
// weight.
func KishESS(w []float64) float64 {
	s, s2 := 0.0, 0.0
	for _, v := range w {
		s += v
		s2 += v * v
	}
	if s2 == 0 {
		return 0
	}
	return s * s / s2
}

// MBARTol is the default convergence tolerance of SolveMBAR: the largest
// change of a reduced free energy f_k [dimensionless, units of kT_k] in the
// last Newton step, and the largest relative violation of the
// self-consistency Σ_n W_nk = 1.
const MBARTol = 1e-10

// mbarMaxIter bounds the Newton iterations (the objective is convex, so a
// converging solve takes tens of steps).
const mbarMaxIter = 200

// MBAR is the solution of the multistate Bennett acceptance ratio equations
// for samples from K temperatures of one system (Shirts & Chodera, J. Chem.
// Phys. 129, 124105 (2008)), the reduced potentials being u_k(x) = U(x)/kT_k.
type MBAR struct {
	// KT [ε] and N: the temperatures and their numbers of frames.
	KT []float64
	N  []int
	// U [ε] holds the energies of all frames, state after state.
	U []float64
	// F are the reduced free energies f_k = −ln(Z_k/Z_0), f_0 = 0.
	F []float64
	// Iterations is the number of Newton steps taken.
	Iterations int
	// logDen[n] = ln Σ_k N_k exp(f_k − U_n/kT_k).
	logDen []float64
}

// SolveMBAR solves the MBAR equations for frames with potential energies
// u[k] [ε] sampled at kT[k] [ε]: the reduced free energies f_k are the
// minimum of the convex function
//
//	g(f) = Σ_n ln Σ_k N_k exp(f_k − u_k(x_n)) − Σ_k N_k f_k,
//
// whose stationarity is the self-consistent equation
// f_i = −ln Σ_n exp(−u_i(x_n)) / Σ_k N_k exp(f_k − u_k(x_n)). It takes
// Newton steps with f_0 fixed at 0 and backtracking on g, until the largest
// step and the largest violation of Σ_n W_ni = 1 are below tol (0 means
// MBARTol), and returns an error if that does not happen within 200 steps.
func SolveMBAR(u [][]float64, kT []float64, tol float64) (*MBAR, error) {
	if len(u) == 0 || len(u) != len(kT) {
		return nil, fmt.Errorf("analysis: SolveMBAR: %d energy sets for %d temperatures, want equal and ≥ 1", len(u), len(kT))
	}
	if tol == 0 {
		tol = MBARTol
	}
	if !(tol > 0) {
		return nil, fmt.Errorf("analysis: SolveMBAR: tolerance %v, want > 0", tol)
	}
	K := len(kT)
	m := &MBAR{KT: append([]float64(nil), kT...), N: make([]int, K), F: make([]float64, K)}
	for k := range K {
		name := fmt.Sprintf("SolveMBAR (kT %v)", kT[k])
		if err := checkKT(name, kT[k]); err != nil {
			return nil, err
		}
		for j := range k {
			if kT[j] == kT[k] {
				return nil, fmt.Errorf("analysis: SolveMBAR: kT %v given twice", kT[k])
			}
		}
		if err := checkEnergies(name, u[k]); err != nil {
			return nil, err
		}
		m.N[k] = len(u[k])
		m.U = append(m.U, u[k]...)
	}
	m.logDen = make([]float64, len(m.U))
	if K == 1 {
		m.setDen()
		return m, nil
	}
	// Start from the one-sided exponential averages between neighbours,
	// which puts the first Newton step close to the solution.
	for k := 1; k < K; k++ {
		prev := u[k-1]
		db := 1/kT[k] - 1/kT[k-1]
		lw := make([]float64, len(prev))
		for i, v := range prev {
			lw[i] = -v * db
		}
		m.F[k] = m.F[k-1] - logSumExp(lw) + math.Log(float64(len(prev)))
	}
	nf := K - 1
	grad := make([]float64, nf)
	hess := mat.NewSymDense(nf, nil)
	p := make([]float64, K)
	trial := make([]float64, K)
	var step mat.VecDense
	for it := 1; it <= mbarMaxIter; it++ {
		m.Iterations = it
		g := m.objective(m.F)
		// Gradient and Hessian of g over f_1..f_{K−1}:
		// ∂g/∂f_i = Σ_n p_ni − N_i, ∂²g/∂f_i∂f_j = Σ_n (δ_ij p_ni − p_ni p_nj),
		// p_ni = N_i exp(f_i − u_i(x_n) − logDen_n).
		for i := range grad {
			grad[i] = -float64(m.N[i+1])
			for j := i; j < nf; j++ {
				hess.SetSym(i, j, 0)
			}
		}
		for n, v := range m.U {
			for k := range K {
				p[k] = float64(m.N[k]) * math.Exp(m.F[k]-v/m.KT[k]-m.logDen[n])
			}
			for i := range nf {
				grad[i] += p[i+1]
				for j := i; j < nf; j++ {
					h := hess.At(i, j) - p[i+1]*p[j+1]
					if i == j {
						h += p[i+1]
					}
					hess.SetSym(i, j, h)
				}
			}
		}
		viol := 0.0
		for i, gi := range grad {
			viol = math.Max(viol, math.Abs(gi)/float64(m.N[i+1]))
		}
		if err := step.SolveVec(hess, mat.NewVecDense(nf, grad)); err != nil {
			return nil, fmt.Errorf("analysis: SolveMBAR: singular Hessian at step %d (no overlap between the temperatures' energies?): %v", it, err)
		}
		slope, maxStep := 0.0, 0.0
		for i := range nf {
			slope -= grad[i] * step.AtVec(i)
			maxStep = math.Max(maxStep, math.Abs(step.AtVec(i)))
		}
		if viol < tol && maxStep < tol {
			return m, nil
		}
		t := 1.0
		for ; t > 1e-12; t /= 2 {
			trial[0] = 0
			for i := range nf {
				trial[i+1] = m.F[i+1] - t*step.AtVec(i)
			}
			if m.objective(trial) <= g+1e-4*t*slope+1e-13*math.Abs(g) {
				break
			}
		}
		copy(m.F, trial)
		m.setDen()
		if t*maxStep < tol && viol < tol {
			return m, nil
		}
	}
	return nil, fmt.Errorf("analysis: SolveMBAR: not converged to %g in %d Newton steps (kT %v, f = %v)", tol, mbarMaxIter, kT, m.F)
}

// setDen fills logDen from F.
func (m *MBAR) setDen() {
	m.objective(m.F)
}

// objective returns g(f) and leaves logDen at f.
func (m *MBAR) objective(f []float64) float64 {
	K := len(m.KT)
	lw := make([]float64, K)
	g := 0.0
	for n, v := range m.U {
		for k := range K {
			lw[k] = math.Log(float64(m.N[k])) + f[k] - v/m.KT[k]
		}
		m.logDen[n] = logSumExp(lw)
		g += m.logDen[n]
	}
	for k := range K {
		g -= float64(m.N[k]) * f[k]
	}
	return g
}

// logSumExp returns ln Σ exp(x_i).
func logSumExp(x []float64) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, v)
	}
	if math.IsInf(mx, -1) {
		return mx
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(v - mx)
	}
	return mx + math.Log(s)
}

// Weights writes into dst (one per frame, in the order of U) the normalised
// MBAR weights of the frames at kTTarget [ε]:
//
//	w_n ∝ exp(−U_n/kTTarget) / Σ_k N_k exp(f_k − U_n/kT_k).
func (m *MBAR) Weights(dst []float64, kTTarget float64) error {
	if len(dst) != len(m.U) {
		return fmt.Errorf("analysis: MBAR.Weights: %d weights for %d frames", len(dst), len(m.U))
	}
	if err := checkKT("MBAR.Weights", kTTarget); err != nil {
		return err
	}
	for n, v := range m.U {
		dst[n] = -v/kTTarget - m.logDen[n]
	}
	normaliseLog(dst)
	return nil
}

// FreeEnergy returns the reduced free energy −ln(Z(kTTarget)/Z_0) at any
// temperature, estimated from all frames: −ln Σ_n exp(−U_n/kTTarget −
// logDen_n).
func (m *MBAR) FreeEnergy(kTTarget float64) float64 {
	lw := make([]float64, len(m.U))
	for n, v := range m.U {
		lw[n] = -v/kTTarget - m.logDen[n]
	}
	return -logSumExp(lw)
}
