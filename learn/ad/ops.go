package ad

// Act selects an elementwise activation for fused ops and MLP.
type Act int

// Activations. SiLU(x) = x·σ(x) (Hendrycks & Gimpel 2016; Elfwing et al. 2018),
// σ(x) = 1/(1+e^{−x}).
const (
	ActIdentity Act = iota
	ActReLU
	ActSiLU
	ActTanh
	ActSigmoid
)

type opKind int

// ---- linear algebra ----

// Affine returns x·wᵀ + b: x is B×in, w is out×in (PyTorch layout), b is 1×out
// or nil; the result is B×out.
func (t *Tape) Affine(x, w, b *Node) *Node { return t.AffineAct(x, w, b, ActIdentity) }

// AffineAct returns act(x·wᵀ + b) in one node (saves a pass and a buffer).
func (t *Tape) AffineAct(x, w, b *Node, act Act) *Node { panic("TODO") }

// MatMul returns a·b for a m×k and b k×n.
func (t *Tape) MatMul(a, b *Node) *Node { panic("TODO") }

// ---- elementwise, one input ----

// Activate returns act(a) elementwise.
func (t *Tape) Activate(a *Node, act Act) *Node { panic("TODO") }

// ReLU returns max(a, 0) elementwise (gradient 0 at a = 0).
func (t *Tape) ReLU(a *Node) *Node { return t.Activate(a, ActReLU) }

// SiLU returns a·σ(a) elementwise.
func (t *Tape) SiLU(a *Node) *Node { return t.Activate(a, ActSiLU) }

// Tanh returns tanh(a) elementwise.
func (t *Tape) Tanh(a *Node) *Node { return t.Activate(a, ActTanh) }

// Sigmoid returns σ(a) = 1/(1+e^{−a}) elementwise.
func (t *Tape) Sigmoid(a *Node) *Node { return t.Activate(a, ActSigmoid) }

// Exp returns e^a elementwise.
func (t *Tape) Exp(a *Node) *Node { panic("TODO") }

// Log returns ln a elementwise (a > 0).
func (t *Tape) Log(a *Node) *Node { panic("TODO") }

// Softplus returns ln(1+e^a) elementwise, computed stably.
func (t *Tape) Softplus(a *Node) *Node { panic("TODO") }

// Square returns a² elementwise.
func (t *Tape) Square(a *Node) *Node { panic("TODO") }

// Scale returns c·a.
func (t *Tape) Scale(a *Node, c float64) *Node { panic("TODO") }

// AddScalar returns a + c.
func (t *Tape) AddScalar(a *Node, c float64) *Node { panic("TODO") }

// ScaleRows multiplies row i of a by the constant s[i] (len(s) = a.Rows; no
// gradient flows to s, which must not change until Backward is done).
func (t *Tape) ScaleRows(a *Node, s []float64) *Node { panic("TODO") }

// Detach returns a copy of a through which no gradient flows.
func (t *Tape) Detach(a *Node) *Node { panic("TODO") }

// ---- elementwise, two inputs ----

// Add returns a + b (same shapes).
func (t *Tape) Add(a, b *Node) *Node { panic("TODO") }

// Sub returns a − b (same shapes).
func (t *Tape) Sub(a, b *Node) *Node { panic("TODO") }

// Mul returns a ⊙ b (elementwise product, same shapes).
func (t *Tape) Mul(a, b *Node) *Node { panic("TODO") }

// AddRowBroadcast returns a + row, adding the 1×a.Cols row to every row of a.
func (t *Tape) AddRowBroadcast(a, row *Node) *Node { panic("TODO") }

// MulRowBroadcast returns a ⊙ row, multiplying every row of a by the 1×a.Cols row.
func (t *Tape) MulRowBroadcast(a, row *Node) *Node { panic("TODO") }

// ---- shape ----

// ConcatCols returns [a | b] (B×(ca+cb)). If b has one row and a has more, b
// is broadcast to every row (a per-row conditioning vector shared by all).
func (t *Tape) ConcatCols(a, b *Node) *Node { panic("TODO") }

// SliceCols returns columns [from, to) of a.
func (t *Tape) SliceCols(a *Node, from, to int) *Node { panic("TODO") }

// RepeatRows replicates every row of a m times consecutively: row i of a
// becomes rows i·m … i·m+m−1 of the (a.Rows·m)×a.Cols result.
func (t *Tape) RepeatRows(a *Node, m int) *Node { panic("TODO") }

// ---- reductions ----

// Sum returns the 1×1 sum of all elements.
func (t *Tape) Sum(a *Node) *Node { panic("TODO") }

// Mean returns the 1×1 mean of all elements.
func (t *Tape) Mean(a *Node) *Node { panic("TODO") }

// RowSum returns the B×1 sums of each row.
func (t *Tape) RowSum(a *Node) *Node { panic("TODO") }

// WeightedMeanRows returns the 1×a.Cols weighted mean over rows,
// Σ_i w_i a_i / Σ_i w_i. w (len a.Rows, non-negative, positive sum) is a
// constant; nil means equal weights.
func (t *Tape) WeightedMeanRows(a *Node, w []float64) *Node { panic("TODO") }

// ---- probability ----

// LogSoftmax returns the rowwise log-softmax a_ij − log Σ_k exp(a_ik),
// computed stably (max subtracted).
func (t *Tape) LogSoftmax(a *Node) *Node { panic("TODO") }

// PickCols returns the B×1 column of a[i, idx[i]] (idx constant, len a.Rows).
// It panics if an index is out of range, naming the row.
func (t *Tape) PickCols(a *Node, idx []int) *Node { panic("TODO") }

// NLL returns the 1×1 negative log-likelihood −Σ_i w_i logp[i, labels[i]] / Σ_i w_i
// for rowwise log-probabilities logp (e.g. from LogSoftmax). w nil means the
// plain mean. labels and w must not change until Backward is done.
func (t *Tape) NLL(logp *Node, labels []int, w []float64) *Node { panic("TODO") }

// Reparam returns z = μ + exp(½·logvar) ⊙ ε (Kingma & Welling 2014, "Auto-
// Encoding Variational Bayes"). mu and eps are B×d; logvar is B×d or a 1×d row
// broadcast to every sample; eps is normally a constant of N(0,1) draws.
func (t *Tape) Reparam(mu, logvar, eps *Node) *Node { panic("TODO") }

// GaussLogPDF returns the B×1 log-densities
// log N(z_i; μ_i, diag e^{logvar_i}) = −½ Σ_j [ln 2π + logvar_ij + (z_ij−μ_ij)² e^{−logvar_ij}].
// z is B×d; mu and logvar are each B×d or a broadcast 1×d row.
func (t *Tape) GaussLogPDF(z, mu, logvar *Node) *Node { panic("TODO") }

// MixtureLogPDF returns the B×1 log-densities of a diagonal Gaussian mixture
// (the VampPrior of Tomczak & Welling 2018),
//
//	log r(z_i) = log Σ_k w_k N(z_i; μ_k, diag e^{logvar_k}),  w = softmax(θ),
//
// by log-sum-exp. z is B×d, mu is K×d, logvar is K×d or a broadcast 1×d row,
// theta is 1×K. Gradients flow to z, mu, logvar and theta.
func (t *Tape) MixtureLogPDF(z, mu, logvar, theta *Node) *Node { panic("TODO") }

// MSE returns the 1×1 mean over all elements of (a − b)².
func (t *Tape) MSE(a, b *Node) *Node { panic("TODO") }

// Fourier returns sinusoidal features of the B×1 column s with fixed
// frequencies f_1…f_F: the B×2F matrix [sin(2π f_k s_i) … | cos(2π f_k s_i) …]
// (sines first, as the Gaussian-Fourier projection of Song et al. 2021,
// "Score-Based Generative Modeling through SDEs"). freqs is constant.
// Concatenate s itself with ConcatCols to include the raw value.
func (t *Tape) Fourier(s *Node, freqs []float64) *Node { panic("TODO") }
