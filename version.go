// Package dspib is the root of a pure-Go package for molecular dynamics and
// D-SPIB (Diffusive State Predictive Information Bottleneck; John, Qiu,
// Herron & Tiwary, 2025): Langevin simulation of model systems, SPIB with a
// temperature-conditioned diffusion prior on its latent space, and
// validation of generated free energies against molecular dynamics.
//
// The work happens in the sub-packages: potentials, integrators, md,
// learn, analysis; the programs live in cmd and benchmarks.
package dspib

// Version is the package version written into every run's metadata.
const Version = "0.1.0-dev"
