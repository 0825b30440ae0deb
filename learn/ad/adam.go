package ad

// AdamConfig configures Adam. The zero value gives PyTorch's defaults.
type AdamConfig struct {
	LR    float64 // learning rate [1/(loss units)], default 1e-3
	Beta1 float64 // first-moment decay, default 0.9 (0 means default)
	Beta2 float64 // second-moment decay, default 0.999 (0 means default)
	Eps   float64 // denominator guard, default 1e-8 (0 means default)
}

// Adam is the optimiser of Kingma & Ba (2015), "Adam: A Method for Stochastic
// Optimization", with bias correction computed exactly as torch.optim.Adam
// (foreach=False, amsgrad=False, weight_decay=0):
//
//	m ← β1 m + (1−β1) g,  v ← β2 v + (1−β2) g²,
//	p ← p − (lr/(1−β1^t)) · m / (√v/√(1−β2^t) + ε).
type Adam struct {
	cfg    AdamConfig
	params []*Param
	m, v   [][]float64
	t      int     // steps taken
	lr     float64 // current learning rate (after Decay)
}

// NewAdam returns an optimiser for params; it returns an error naming the
// field if cfg is invalid or a parameter name is duplicated.
func NewAdam(params []*Param, cfg AdamConfig) (*Adam, error) { panic("TODO") }

// Config returns the configuration with defaults filled in.
func (a *Adam) Config() AdamConfig { return a.cfg }

// Step applies one update using the accumulated gradients. It does not zero
// them (use ParamSet.ZeroGrad or Adam.ZeroGrad).
func (a *Adam) Step() { panic("TODO") }

// ZeroGrad zeroes the gradients of the optimised parameters.
func (a *Adam) ZeroGrad() {
	for _, p := range a.params {
		clear(p.Grad)
	}
}

// Decay multiplies the learning rate by gamma (torch ExponentialLR.step,
// called once per epoch).
func (a *Adam) Decay(gamma float64) { a.lr *= gamma }

// LR returns the current learning rate.
func (a *Adam) LR() float64 { return a.lr }

// Steps returns the number of updates taken since construction or Reset.
func (a *Adam) Steps() int { return a.t }

// Reset forgets the moment estimates and the step count and restores the
// configured learning rate: a fresh optimiser for the same parameters.
func (a *Adam) Reset() { panic("TODO") }
