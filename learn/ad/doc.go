// Package ad is a small reverse-mode automatic-differentiation engine for the
// batched dense networks of SPIB and D-SPIB.
//
// Every value is a row-major Rows×Cols matrix of float64 (a *Node); a batch of
// samples is a matrix with one sample per row. Operations are methods on a
// *Tape, which records them in order; Tape.Backward walks the record backwards
// and ACCUMULATES ∂loss/∂input into the Grad of every input that needs one, so
// fan-out (one node used twice) and gradients with respect to data come free.
// This is the classic tape ("Wengert list") of reverse-mode AD, see
// A. Griewank and A. Walther, Evaluating Derivatives, 2nd ed., SIAM (2008), ch. 3.
//
// Memory: the tape is an arena. Tape.Reset keeps every node and buffer, and
// the next forward pass with the same sequence of shapes reuses them, so a
// training step allocates nothing after the first one.
//
// Parameters are *Param (Data and Grad of one weight matrix); Linear and MLP
// build PyTorch-style layers from them, Adam updates them, and
// SaveCheckpoint/LoadCheckpoint write and read parameters and optimiser state
// in a checksummed binary format (see WriteTensors).
//
// Fused networks. A network whose structure never changes need not be
// recorded op by op: Tape.Custom records one node whose value the caller
// computes and whose backward is a CustomOp. CondMLP uses it for a residual
// MLP with per-row conditioning tables (the D-SPIB noise network): forward
// and backward run layer by layer over 64-row tiles that stay in cache, in
// float32 (the default, Precision) or float64, with AVX-512 kernels
// (fused_amd64.s) when the CPU has them (without AVX-512, Float32 computes
// in float64, which is then the faster of the two); CondMLPInfer is its tape-free
// forward pass for samplers. Tape.SetNoGrad lets such an op skip the work
// only Backward needs.
//
// Shapes are checked when an op is recorded; a mismatch is a programming
// error and panics with a message naming the op and both shapes, as gonum/mat
// does. Data errors (labels out of range, bad checkpoints, bad configs) are
// returned as errors or reported by the learners that own the data.
//
// Backends. Without build tags everything is Go (CGO_ENABLED=0 works): matrix
// products, exponentials and the row log-sum-exp of LogSoftmax and
// MixtureLogPDF use AVX2/FMA assembly kernels when the CPU has them (checked
// with CPUID at start-up; -tags purego or a non-amd64 CPU use Go loops
// instead), which on the 2…64-wide layers of SPIB/D-SPIB is 3–10×
// faster than gonum's pure-Go Dgemm (BenchmarkGemm, one thread) and as fast
// as single-threaded OpenBLAS.
// With -tags openblas, gonum's blas64 is switched to OpenBLAS through
// gonum.org/v1/netlib (cgo, Debian libopenblas-dev) and used where it wins
// (see blas_openblas.go). KernelInfo names what is in use. All ops are
// single-threaded and deterministic: the same inputs give bit-identical
// outputs and gradients on a given machine and backend (different backends
// round differently).
package ad
