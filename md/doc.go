// Package md runs molecular dynamics: it holds the static description of a
// system, the mutable state an integrator advances, the run loop that
// schedules observers (trajectory frames, energy logs, progress), and a
// parallel runner for replicas at several temperatures.
//
// The design follows "describe, then run" (OpenMM's System and Context;
// Eastman et al., PLoS Comput. Biol. 13, e1005659 (2017)):
//
//   - [System] is immutable and may be shared by any number of replicas and
//     goroutines: the potential, the per-particle masses and the dimension.
//   - [State] is everything a run changes: positions, velocities, forces,
//     energy, step counter, time and the replica's random stream.
//   - An [Integrator] (package integrators: BAOAB, Overdamped, VelocityVerlet)
//     is bound to one System and advances one State at a time.
//   - [Run] owns scheduling: [Observer] values fire every n steps and the
//     integrator knows none of them (HOOMD-blue's Operations;
//     Anderson, Glaser & Glotzer, Comput. Mater. Sci. 173, 109363 (2020)).
//   - [RunReplicas] runs one replica per temperature on a bounded pool of
//     goroutines, each with its own PCG stream derived from (seed, index), so
//     the results are bit-identical whatever GOMAXPROCS is. Replicas can be
//     skipped or resumed one by one.
//   - [Checkpoint] saves a running State (with its random stream's position
//     and any integrator state) atomically every n steps and when a run is
//     cancelled; [LoadCheckpoint] restores it in a new process so that the
//     continued run is bit-identical to an uninterrupted one.
//   - [Sanity] stops a run whose state is finite but physically absurd
//     (energy or kinetic energy far outside what kT allows, a Metropolis
//     chain that no longer accepts), with thresholds derived from Boltzmann
//     tail bounds; integrators themselves stop only at NaN or Inf.
//
// Units are reduced throughout (k_B = 1): energies in ε, lengths in σ, masses
// in m, time in τ = σ·sqrt(m/ε), temperatures as kT in ε. Every per-particle
// vector is a flat slice of N particles × Dim coordinates, row-major:
// x[i*Dim+k] is coordinate k of particle i.
package md
