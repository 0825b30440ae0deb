// Package analysis turns molecular-dynamics frames and latent samples into
// the numbers that D-SPIB is judged by: LJ7 coordination-number features,
// k-means initial labels, histograms, Gaussian kernel density estimates,
// free-energy profiles, symmetrised Kullback–Leibler divergences, free-energy
// RMSEs, state populations and exact Boltzmann quadrature grids for 2-D
// potentials.
//
// Conventions. Reduced units throughout (k_B = 1, lengths in σ, energies in
// ε); free energies are in units of kT. Point sets are flat slices, n points
// × D coordinates, row-major: x[i*D+k] is coordinate k of point i. Functions
// write into a destination slice given first and return an error naming the
// offending argument, index or field for bad input.
//
// Parallelism. Large loops (frames, points, grid points) are split into
// chunks whose boundaries depend only on the problem size, never on
// GOMAXPROCS, and partial sums are reduced in chunk order, so every result is
// bit-identical whatever the number of cores. Every stochastic routine takes
// an explicit *rand.Rand (math/rand/v2).
//
// References: Tribello, Ceriotti & Parrinello, PNAS 107, 17509 (2010)
// (coordination-number moments of LJ7); Arthur & Vassilvitskii, SODA 2007
// (k-means++); Lloyd, IEEE Trans. Inf. Theory 28, 129 (1982); John, Qiu,
// Herron & Tiwary, arXiv:2510.09784 (2025) (evaluation protocol,
// docs/evaluation.md).
package analysis
