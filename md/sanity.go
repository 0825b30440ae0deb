package md

import (
	"errors"
	"fmt"
	"io"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Thresholds of the Sanity observer, derived from Boltzmann statistics
// (k_B = 1; n = N·Dim degrees of freedom).
const (
	// SanityEnergyFactor c: Sanity stops a run whose potential energy
	// exceeds UMin + c·n·kT. Chernoff bound: for any λ in (0, 1/kT),
	// P(U − UMin > E) ≤ e^{−λE}·⟨e^{λ(U−UMin)}⟩; with λ = 1/(2kT),
	// P(U − UMin > E) ≤ e^{−E/(2kT)}·Z(2kT)/Z(kT), where Z(T) =
	// ∫ e^{−(U−UMin)/T} dx. For a harmonic well Z(2kT)/Z(kT) = 2^{n/2}, so
	// with E = c·n·kT the probability per check is at most
	// (2·e^{−c})^{n/2}: e^{−24.7} for n = 1, e^{−49.3} for n = 2 (the
	// one-particle 2-D systems), e^{−345} for LJ7 (n = 14). Steeper
	// confinement (the three-hole quartic) only lowers Z(2kT)/Z(kT); a
	// plateau of height h above the minimum (LJ7's dissociated states,
	// h ≈ 12.5 ε, kept inside by the restraint) multiplies it by at most
	// e^{h/(2kT)}, which for LJ7 stays far below e^{c·n/2} = e^{350} for
	// any kT above 0.02. For LJ7 the restraint energy ½κ(R² − 4), κ = 100,
	// of one particle at distance R from the centre of mass is part of
	// U − UMin, so the check fires once a particle is beyond
	// R = sqrt(4 + 2·c·n·kT/κ): 2.61 σ at kT = 0.2, 3.52 σ at kT = 0.6,
	// against the restraint radius 2 σ; the Boltzmann weight there is
	// e^{−c·n} = e^{−700}.
	SanityEnergyFactor = 50.0
	// SanityKineticTail is the probability per check, under the
	// Maxwell–Boltzmann distribution, of each tail of the kinetic energy
	// beyond Sanity's bounds: K/kT ~ Gamma(n/2, 1), and the run stops if
	// K/kT is below the 10⁻¹² quantile or above the 1 − 10⁻¹² quantile.
	// A run of 10⁶ checks per replica and 5 replicas then has a
	// false-alarm probability of 10⁻⁵. The bounds are wide (for n = 14,
	// kinetic temperatures outside [0.0094, 6.27]·kT; for n = 2, above
	// 27.6·kT), so finite-dt bias of a few percent never trips them: only
	// a blow-up or a broken thermostat does.
	SanityKineticTail = 1e-12
	// SanityMinProposals is the number of Metropolis proposals after which
	// Sanity judges the acceptance rate: with 1000 proposals, a true rate
	// of 1 % accepts none with probability 0.99¹⁰⁰⁰ ≈ 4·10⁻⁵.
	SanityMinProposals = 1000
	// SanityFailAcceptance: below this acceptance rate (after
	// SanityMinProposals proposals) Sanity stops the run: the chain is
	// stuck and its frames are copies of each other.
	SanityFailAcceptance = 0.001
	// SanityWarnAcceptance: below this acceptance rate Sanity writes one
	// warning; MALA mixes best at rates around 0.57 (Roberts & Rosenthal,
	// J. R. Stat. Soc. B 60, 255 (1998)).
	SanityWarnAcceptance = 0.2
)

// Acceptor is implemented by Metropolis-adjusted integrators
// (integrators.Overdamped with Metropolis set): the numbers of accepted and
// proposed moves since Bind, including those before a checkpoint when
// resumed. Without Metropolis both are 0.
type Acceptor interface {
	Acceptance() (accepted, proposed int64)
}

// Sanity is an Observer that stops a run whose state is finite but
// physically absurd: evaporation, escape or a blow-up short of overflow,
// and a Metropolis chain that no longer moves. Every Stride steps
// (default 100) it checks, with no allocation,
//
//   - the potential energy: U ≤ UMin + SanityEnergyFactor·N·Dim·kT;
//   - if Kinetic, the kinetic energy: K/kT inside the two
//     SanityKineticTail quantiles of Gamma(N·Dim/2, 1) (the
//     Maxwell–Boltzmann distribution of K; valid from the first step when
//     the initial velocities are Maxwell–Boltzmann, as RunReplicas draws
//     them);
//   - if the integrator is an Acceptor with at least SanityMinProposals
//     proposals: acceptance ≥ SanityFailAcceptance, and it writes one
//     warning to Warn below SanityWarnAcceptance.
//
// A failed check returns a *SanityError; Run adds the step and
// RunReplicas the replica and temperature.
type Sanity struct {
	// KT is the target temperature kT [ε], > 0.
	KT float64
	// UMin is a lower bound of the potential energy [ε], ideally its
	// global minimum. Start lowers it to the start state's energy if that
	// is lower, so an overestimate only makes the check less sensitive.
	UMin float64
	// Kinetic enables the kinetic-energy check; set it only for dynamics
	// that thermostat velocities to Maxwell–Boltzmann (BAOAB), not for
	// overdamped dynamics (velocities unused) or NVE.
	Kinetic bool
	// Stride is the number of steps between checks; 0 means 100.
	Stride int64
	// Warn receives the low-acceptance warning (nil: no warning).
	Warn io.Writer
	// Label starts the warning, e.g. "kT0.200".
	Label string

	sys            *System
	acc            Acceptor
	umax           float64 // energy bound [ε]
	kLow, kHigh    float64 // kinetic energy bounds [ε]
	warned, bound  bool
	accepted, prop int64 // as of the last check
}

// SanityError describes a physically absurd state or a stuck chain.
type SanityError struct {
	What string // what was seen, with the threshold and its reason
	Hint string // what to try
}

func (e *SanityError) Error() string { return e.What + "; " + e.Hint }

// Every implements Observer.
func (s *Sanity) Every() int64 {
	if s.Stride <= 0 {
		return 100
	}
	return s.Stride
}

func (s *Sanity) useIntegrator(in Integrator) {
	s.acc, _ = in.(Acceptor)
}

// Start implements Starter: it derives the bounds.
func (s *Sanity) Start(sys *System, st *State, _ int64) error {
	if !(s.KT > 0) || math.IsInf(s.KT, 0) {
		return fmt.Errorf("md: Sanity.KT = %v, want finite > 0", s.KT)
	}
	if math.IsNaN(s.UMin) || math.IsInf(s.UMin, 0) {
		return fmt.Errorf("md: Sanity.UMin = %v, want finite", s.UMin)
	}
	s.sys = sys
	n := float64(sys.Len())
	s.umax = min(s.UMin, st.U) + SanityEnergyFactor*n*s.KT
	s.kLow = s.KT * mathext.GammaIncRegInv(n/2, SanityKineticTail)
	s.kHigh = s.KT * mathext.GammaIncRegCompInv(n/2, SanityKineticTail)
	s.warned, s.bound = false, true
	return nil
}

// Bounds returns the energy bound and the kinetic energy bounds [ε] that
// Start derived.
func (s *Sanity) Bounds() (uMax, kLow, kHigh float64) { return s.umax, s.kLow, s.kHigh }

// Acceptance returns the integrator's acceptance counters as of the last
// check or the end of the run (0, 0 for an integrator without Metropolis).
func (s *Sanity) Acceptance() (accepted, proposed int64) { return s.accepted, s.prop }

// Observe implements Observer.
func (s *Sanity) Observe(st *State) error {
	if !s.bound {
		return errors.New("md: Sanity used outside Run (Start not called)")
	}
	if st.U > s.umax {
		p, r := s.farthest(st.X)
		return &SanityError{
			What: fmt.Sprintf("potential energy U = %.6g ε exceeds the bound %.6g ε = UMin + %g·N·Dim·kT (Boltzmann probability ≤ e^-%.0f in a harmonic well); particle %d is %.3g σ from the centre of mass",
				st.U, s.umax, SanityEnergyFactor, (SanityEnergyFactor-math.Ln2)*float64(s.sys.Len())/2, p, r),
			Hint: "the system evaporated or blew up, probably because the time step is too large: try a smaller time step (-dt)",
		}
	}
	if s.Kinetic {
		k := KineticEnergy(s.sys, st.V)
		if k < s.kLow || k > s.kHigh {
			n := float64(s.sys.Len())
			return &SanityError{
				What: fmt.Sprintf("kinetic temperature 2K/(N·Dim) = %.6g ε at target kT = %g ε is outside [%.4g, %.4g] (probability %g per tail under Maxwell–Boltzmann)",
					2*k/n, s.KT, 2*s.kLow/n, 2*s.kHigh/n, SanityKineticTail),
				Hint: "the dynamics is unstable or not thermostatted: try a smaller time step (-dt)",
			}
		}
	}
	return s.checkAcceptance()
}

// Finish implements Finisher: it records the final acceptance counters and,
// after a complete run, warns about a low rate if no check has yet.
func (s *Sanity) Finish(_ *State, runErr error) error {
	if s.acc != nil {
		s.accepted, s.prop = s.acc.Acceptance()
		if runErr == nil {
			s.warn()
		}
	}
	return nil
}

func (s *Sanity) checkAcceptance() error {
	if s.acc == nil {
		return nil
	}
	s.accepted, s.prop = s.acc.Acceptance()
	if s.prop < SanityMinProposals {
		return nil
	}
	if rate := float64(s.accepted) / float64(s.prop); rate < SanityFailAcceptance {
		return &SanityError{
			What: fmt.Sprintf("Metropolis acceptance %d of %d proposals (%.3g %%), below %g %%: the chain is stuck and its frames repeat",
				s.accepted, s.prop, 100*rate, 100*SanityFailAcceptance),
			Hint: "use a smaller time step (-dt)",
		}
	}
	s.warn()
	return nil
}

func (s *Sanity) warn() {
	if s.Warn == nil || s.warned || s.prop < SanityMinProposals {
		return
	}
	if rate := float64(s.accepted) / float64(s.prop); rate < SanityWarnAcceptance {
		s.warned = true
		label := ""
		if s.Label != "" {
			label = s.Label + ": "
		}
		fmt.Fprintf(s.Warn, "%swarning: Metropolis acceptance %.3g %% (%d of %d) is below %g %%; sampling is slow, consider a smaller time step (-dt)\n",
			label, 100*rate, s.accepted, s.prop, 100*SanityWarnAcceptance)
	}
}

// farthestFromCentre returns the particle farthest from the mass-weighted
// centre of the configuration x and its distance [σ] (for one particle: its
// distance from the origin). Only error paths call it.
func (s *System) farthestFromCentre(x []float64) (int, float64) {
	d := s.Dim
	c := make([]float64, d)
	if s.N() > 1 {
		mt := 0.0
		for i, m := range s.Masses {
			mt += m
			for k := range d {
				c[k] += m * x[i*d+k]
			}
		}
		for k := range c {
			c[k] /= mt
		}
	}
	best, r2max := 0, -1.0
	for i := range s.Masses {
		r2 := 0.0
		for k := range d {
			dx := x[i*d+k] - c[k]
			r2 += dx * dx
		}
		if r2 > r2max {
			best, r2max = i, r2
		}
	}
	return best, math.Sqrt(r2max)
}

func (s *Sanity) farthest(x []float64) (int, float64) { return s.sys.farthestFromCentre(x) }
