// Package dspib implements phase 2 of D-SPIB (R. John, Y. Qiu, L. Herron,
// P. Tiwary, "Combined Representation and Generation with Diffusive State
// Predictive Information Bottleneck", arXiv:2510.09784, NeurIPS 2025 FPI
// workshop) and the two-phase fit: SPIB (learn/spib; D. Wang and P. Tiwary,
// J. Chem. Phys. 154, 134111, 2021) followed by joint training of the SPIB
// encoder and decoder with a temperature-conditioned diffusion prior on the
// latent (learn/diffusion).
//
// # Phase 2 (docs/method.md §3)
//
// The phase-1 encoder q(z|x) = N(z; z_mean(x), diag e^{logvar}) and decoder
// p(y|z) are kept; the VampPrior is replaced by the diffusion prior, whose
// noise network is trained from scratch, and everything is trained jointly
// by a FRESH Adam (Kingma & Ba 2015) on the loss of a batch
//
//	L = ⟨−ln p(y_{t+Δ}|z)⟩ + β·⟨ln q(z|x_t)⟩ + β·λ·L_diff(z, T),
//	z = z_mean(x_t) + e^{logvar/2}·ε,  ε ~ N(0, I),
//
// in nats, ⟨·⟩ the (weighted) batch mean. z is reparameterised and NOT
// detached, so L_diff = ½·mean over batch × M replicas × d of
// (ε_θ(z_i, i, T) − ε)² (diffusion.Prior.LossWeighted) trains the encoder
// too. Every frame's own temperature T (kT, energy units) conditions its
// replicas. Defaults: β from the SPIB config (1e−5), λ = 1, M = 16.
//
// A step cuts its batch into fixed shards of 128 rows, run on
// Config.SPIB.Workers goroutines, each shard with its own tape, gradients and
// PCG stream seeded from the run's RNG; the gradients are summed in shard
// order, so the result is bit-identical for any number of workers or
// GOMAXPROCS.
//
// Convergence (docs/method.md §3): phase 2 stops when BOTH the training
// cross-entropy and the unscaled training diffusion loss have stopped
// improving, or at the epoch cap. A loss has stopped improving when for
// more than Patience epochs it has not beaten its best value by
// max(Tolerance·|best|, two standard errors of the difference of the epoch
// means); each epoch's standard errors come from its batch-to-batch spread
// (EpochStats.TrainCESE, TrainDiffSE). Unlike SPIB's "relative change
// below Tolerance", this fires on a plateau where the diffusion loss jitters
// by more than the tolerance (Adam noise at a constant learning rate); see
// the converger type for the numbers. The labels are those adopted at the
// end of phase 1 and are not refined in phase 2.
//
// # Fit and checkpoints
//
// Fit runs SPIB then D-SPIB. With Config.Checkpoint set, a checkpoint (one
// learn/ad tensor file, written atomically) is saved after every phase-1
// epoch (spib.TrainState: model, Adam, round, convergence history, labels,
// histories, *rand.PCG state), at the phase boundary and after every
// phase-2 epoch (both models' parameters, the Adam state, the PCG state,
// the epoch, the loss histories, the labels), each with the data split and
// the fingerprints of settings and inputs. Re-running Fit with the same
// data, configuration and initial PCG state resumes from it, in either
// phase, and produces bit for bit what an uninterrupted run produces.
// Cancellation is honoured before every phase-1 training batch, after every
// epoch of either phase and at the phase boundary. Config.Observers see
// every epoch of both phases (learn/monitor's convention, shared with
// learn/spib and learn/diffusion); an observer's error stops Fit before
// that epoch's checkpoint.
//
// # Models and generation
//
// Model couples a spib.Model and an optional diffusion.Prior. Model.Save
// writes a folder (see Model.Save), Load reads it back; Model.Generate
// samples latents at any list of temperatures with the ancestral sampler of
// learn/diffusion (parallel, deterministic for a seed), and
// Model.SampleVampPrior draws the SPIB baseline from the VampPrior mixture
// r(z) = Σ_k w_k N(z; z_mean(u_k), diag e^{logvar(u_k)}) with the
// covariance diag e^{logvar} (the reference code passes a standard deviation
// where a covariance is expected).
package dspib
