// Package evaluate judges generated latent distributions against molecular
// dynamics, following the protocol of the D-SPIB paper (John, Qiu, Herron &
// Tiwary, arXiv:2510.09784, 2025) as the package fixes it:
//
//   - the reference at a temperature kT [ε] is the encoded MD at kT (z_mean
//     of its frames under the method's own encoder), or, for a 2-D
//     one-particle system, the exact Boltzmann density on a quadrature grid
//     pushed through the encoder (weighted latents, Exact);
//   - metrics (Compare, MetricNames): symmetrised KL on 100×100 common
//     histogram edges and the reference implementation's first-argument-edges
//     variant; RMSE of the 1-D free-energy profiles along each latent (Gaussian
//     KDE, over F_MD < 3 kT); the fraction of predictions outside the MD's
//     bounding box; the total-variation distance between state populations;
//   - honest baselines in the same run (Run): the encoded MD of the nearest
//     training temperature, which at a training temperature is an independent
//     run at the same kT; Boltzmann reweighting of the training MD (nearest
//     kT and MBAR); and a second independent MD run at every evaluated kT,
//     the sampling-noise floor of every metric (Comparison.Floor);
//   - 95 % bootstrap intervals of every metric (bootstrap.go: block bootstrap
//     for MD sets, smoothed resamples for the histogram KLs), paired
//     differences between methods (DiffInterval) and verdicts from them:
//     "beats" only when the interval of the difference excludes 0;
//   - validation temperatures (Design.Validation) reported apart from the
//     test temperatures, for choosing settings without tuning to the test;
//   - with an exact density, an overlap scan (Design.Scan, ScanRow) at
//     temperatures without MD: where Boltzmann reweighting of the training
//     MD beats the temperature-aware generators and where it stops, with
//     the weights' effective sample size.
//
// Run compares a set of methods (a learn.Generator in a learn.Encoder's
// latent space) at every evaluated temperature; WriteFigures draws the
// surfaces, profiles, loss curves and populations as PNG (analysis/plots);
// WriteResults writes report.md and metrics.json. The benchmark programs and
// 'dspib evaluate' both report through them.
//
// Latents are 2-D (d = 2), n×2 row-major; free energies are in kT.
package evaluate
