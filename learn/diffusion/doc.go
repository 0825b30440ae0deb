// Package diffusion is the temperature-conditioned diffusion prior of D-SPIB
// (R. John, Y. Qiu, L. Herron, P. Tiwary, "Combined Representation and
// Generation with Diffusive State Predictive Information Bottleneck",
// arXiv:2510.09784, 2025): a denoising diffusion probabilistic model (Ho,
// Jain & Abbeel, NeurIPS 2020) on the d-dimensional SPIB latent whose noise
// is scaled by temperature as in thermodynamic maps (Herron et al., PNAS
// 2024), so that one model generates latents at any temperature.
//
// The model (docs/method.md §3):
//   - Schedule: variance-preserving, z_i = √ᾱ_i z_0 + √(1−ᾱ_i) ε, reference
//     N = 100 and β linear from 1e−4 to 0.2 (Linear); or the continuous
//     VP-SDE with β(s) linear from 0.1 to 20 observed at N times (VPSDE).
//   - Noise: ε ~ N(0, σ_T² I), σ_T = (T/T_ref)^a (Config.Exponent: 1 as
//     the reference, ½ as thermodynamic maps). Temperatures are kT in the
//     energy units of the simulation; everything else is dimensionless or
//     in latent units.
//   - Network ε_θ(z_i, i, T): MLP 16–64–64–64–64–16 on z with identity
//     residuals on equal-width layers and, in every hidden layer, an added
//     Linear projection of the step and temperature embeddings (Smooth by
//     default, Fourier as the reference). It predicts the scaled noise ε.
//   - Loss: ½·mean (ε_θ − ε)² over batch × M replicas × d (Prior.Loss,
//     Prior.LossWeighted for biased data), on a caller's learn/ad tape so
//     that D-SPIB back-propagates it into its encoder.
//   - Generation: from N(0, σ_T² I) through all N steps by ancestral
//     sampling (Prior.Generate) or the probability-flow ODE
//     (Prior.GenerateWith), parallel, allocation-free per step and
//     bit-reproducible for a seed whatever GOMAXPROCS.
//
// Train and Prior.Fit train a prior on given latents; TrainContext and
// FitContext add cancellation and the checkpoints of TrainConfig.Checkpoint,
// and TrainConfig.Observers see every epoch (learn/monitor's convention,
// shared with learn/spib and learn/dspib). Save and Load store a prior in
// learn/ad's checkpoint format.
package diffusion
