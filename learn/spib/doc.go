// Package spib implements the State Predictive Information Bottleneck
// (SPIB; D. Wang and P. Tiwary, J. Chem. Phys. 154, 134111 (2021)), phase 1
// of D-SPIB (R. John, Y. Qiu, L. Herron, P. Tiwary, arXiv:2510.09784): a
// variational encoder from molecular features x_t to a low-dimensional
// latent z, trained to predict the metastable state y_{t+Δ} of the frame a
// lag Δ later, with the states themselves refined from the model's own
// predictions.
//
// # Method (docs/method.md §1–2)
//
// Data: trajectories of frames × D features, each with its temperature kT
// (Trajectory.KT, in the energy unit ε; temperatures are named as
// docs/method.md, "Units and names", says) and optional initial labels and
// weights. Features are standardised per column over all frames (the
// Standardizer is stored in the model);
// lagged pairs (x_t, y_{t+Δ}) are built within each trajectory and split at
// random into train/test/validation (0.6/0.2/0.2).
//
// Model: encoder q(z|x) = N(z; z_mean(x), diag e^{logvar}), with
// z_mean = Linear(D,n1)–ReLU–Linear(n1,n1)–ReLU–Linear(n1,d) (or W x + b)
// and logvar either one learnable value per latent dimension (default) or a
// per-sample head −10·sigmoid(Linear(h)); decoder
// p(y|z) = LogSoftmax(Linear(d,n2)–ReLU–Linear(n2,n2)–ReLU–Linear(n2,K));
// VampPrior r(z) = Σ_k softmax(θ)_k q(z|u_k) over one representative input
// u_k per state (J. Tomczak and M. Welling, AISTATS 2018). The loss of a
// batch is
//
//	L = ⟨−ln p(y_{t+Δ}|z)⟩ + β·⟨ln q(z|x_t) − ln r(z)⟩,  z = z_mean + e^{logvar/2}·ε,
//
// in nats, with ⟨·⟩ the mean over the batch (weighted, Σ w_i(·)_i/Σ w_i,
// when frame weights are given). Adam (D. Kingma and J. Ba, ICLR 2015)
// minimises it.
//
// Refinement: after every epoch the future frames are relabelled by
// argmax_k p(k|z_mean); a round ends when the relative change of the epoch
// training loss stays below Tolerance for more than Patience epochs, or at
// MaxEpochs. Then the new labels are adopted, empty states removed (the
// decoder's output layer shrinks), representatives re-chosen (the frame of
// each state whose z_mean is nearest the state's mean z_mean), θ reset to 0
// and a fresh Adam started. Training stops with ErrTooFewStates if fewer
// than two states remain.
//
// # Choices
//
//   - MaxEpochs caps every round (the references have none).
//   - A fresh Adam state after every refinement (the fix of SPIB PR #9,
//     lost again in the LaTF/D-SPIB code).
//   - Empty states are also removed after the last round, so the final
//     model has no empty state and Data.Labels equals Result.Labels.
//   - After the last round the representatives and the trained θ are kept
//     (for the remaining states). The SPIB/LaTF code re-picks the
//     representatives from the final labels and resets θ to uniform after
//     training, leaving a prior that was never trained.
//   - Initial labels are compacted to 0..K−1 in increasing order of their
//     values; states nobody carries do not exist.
//   - The epoch training loss is the mean of the minibatch losses during the
//     epoch (no second pass).
//
// # Use
//
// Label the trajectories (KMeansLabels, or your own Trajectory.Labels),
// then call Train with a Config (its zero value means the reference
// settings) and a seeded *rand.Rand. The Result holds the model, the
// per-epoch losses and every frame's z_mean, sample, label and state
// probabilities; Model.Encode, Predict, LinearWeights and Representatives
// work on new frames in original units; Model.Save and Load keep a model.
//
// # Observing, cancelling and resuming
//
// Training follows learn/monitor's convention, shared with learn/diffusion
// and learn/dspib: Config.Observers see every epoch (a *monitor.Progress
// writes rate-limited progress lines; an observer's error stops training),
// and Config.Checkpoint names a file written atomically after every epoch
// that training continues from and resumed from when it exists.
//
// TrainContext and TrainDataContext take a context.Context (checked before
// every training batch and after every epoch) and the run's *rand.PCG.
// The checkpoint is a TrainState: round, epoch, model, Adam state,
// convergence history, adopted labels, loss histories and the PCG state.
// TrainState.Save writes it in learn/ad's checkpoint format (with any
// tensors of the caller), LoadTrainState reads it back; a caller that keeps
// it in a file of its own (learn/dspib) uses RunOptions.Save and
// RunOptions.Resume instead of Config.Checkpoint. With the same Data and
// Config the result is bit for bit that of an uninterrupted run.
//
// Phase 2 (learn/dspib) reuses the pieces: Data (standardised frames,
// pairs, splits, Gather into a Batch), Batches, Model.EncodeTape,
// DecodeTape, CrossEntropyTape, EncoderParams, DecoderParams, the
// Convergence rule, Populations, TrainState (its phase-1
// checkpoints) and the tensor helpers (IntsTensor, RowsTensor,
// HistoryTensor, TensorIndex and their readers).
//
// # Determinism
//
// Every random number (split, initialisation, batches, noise) comes from the
// *rand.Rand (or *rand.PCG) passed in. Training is serial; encoding all frames runs on
// Config.Workers goroutines over fixed chunks, each row computed
// independently, so the same seed gives a bit-identical model and results
// for any GOMAXPROCS and number of workers.
package spib
