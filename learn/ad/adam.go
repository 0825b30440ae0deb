package ad

import (
	"fmt"
	"math"
)

// AdamConfig configures Adam. The zero value gives PyTorch's defaults; a
// zero field means its default (so β = 0 cannot be asked for).
type AdamConfig struct {
	// LR is the learning rate, default 1e-3. It is in the units of the
	// parameters: m̂/√v̂ is dimensionless, so a step moves each parameter by
	// at most about LR.
	LR    float64
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
func NewAdam(params []*Param, cfg AdamConfig) (*Adam, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(params))
	a := &Adam{cfg: cfg, params: params, lr: cfg.LR}
	for i, p := range params {
		if p == nil {
			return nil, fmt.Errorf("ad: NewAdam: params[%d] is nil", i)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("ad: NewAdam: duplicate parameter name %q (params[%d])", p.Name, i)
		}
		seen[p.Name] = true
		if len(p.Data) != p.Rows*p.Cols || len(p.Grad) != len(p.Data) {
			return nil, fmt.Errorf("ad: NewAdam: parameter %q is %d×%d but len(Data) = %d, len(Grad) = %d",
				p.Name, p.Rows, p.Cols, len(p.Data), len(p.Grad))
		}
		a.m = append(a.m, make([]float64, len(p.Data)))
		a.v = append(a.v, make([]float64, len(p.Data)))
	}
	return a, nil
}

// setDefaults fills zero fields and validates the rest.
func (c *AdamConfig) setDefaults() error {
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
	switch {
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("ad: AdamConfig.LR = %g, want finite and > 0", c.LR)
	case !(c.Beta1 > 0 && c.Beta1 < 1):
		return fmt.Errorf("ad: AdamConfig.Beta1 = %g, want in (0, 1)", c.Beta1)
	case !(c.Beta2 > 0 && c.Beta2 < 1):
		return fmt.Errorf("ad: AdamConfig.Beta2 = %g, want in (0, 1)", c.Beta2)
	case !(c.Eps > 0) || math.IsInf(c.Eps, 0):
		return fmt.Errorf("ad: AdamConfig.Eps = %g, want finite and > 0", c.Eps)
	}
	return nil
}

// Config returns the configuration with defaults filled in.
func (a *Adam) Config() AdamConfig { return a.cfg }

// Step applies one update using the accumulated gradients. It does not zero
// them (use ParamSet.ZeroGrad or Adam.ZeroGrad).
func (a *Adam) Step() {
	a.t++
	b1, b2 := a.cfg.Beta1, a.cfg.Beta2
	bc1 := 1 - math.Pow(b1, float64(a.t))
	bc2 := 1 - math.Pow(b2, float64(a.t))
	stepSize := a.lr / bc1
	bc2Sqrt := math.Sqrt(bc2)
	eps := a.cfg.Eps
	for pi, p := range a.params {
		m, v := a.m[pi], a.v[pi]
		m = m[:len(p.Data)]
		v = v[:len(p.Data)]
		g := p.Grad[:len(p.Data)]
		for i, gi := range g {
			// torch: m.lerp_(g, 1−β1); v.mul_(β2).addcmul_(g, g, 1−β2)
			m[i] += (gi - m[i]) * (1 - b1)
			v[i] = v[i]*b2 + (1-b2)*gi*gi
			denom := math.Sqrt(v[i])/bc2Sqrt + eps
			p.Data[i] -= stepSize * (m[i] / denom)
		}
	}
}

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
func (a *Adam) Reset() {
	for i := range a.m {
		clear(a.m[i])
		clear(a.v[i])
	}
	a.t = 0
	a.lr = a.cfg.LR
}
