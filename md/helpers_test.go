package md_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/md"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// spring is U = ½·k·|x|² for every coordinate [ε/σ²].
type spring struct{ k float64 }

func (s spring) Force(dst, x []float64) float64 {
	u := 0.0
	for j, v := range x {
		dst[j] = -s.k * v
		u += 0.5 * s.k * v * v
	}
	return u
}

// springSystem: n particles in dim dimensions with masses 1, 2, 3, …
func springSystem(n, dim int) *md.System {
	m := make([]float64, n)
	for i := range m {
		m[i] = float64(i + 1)
	}
	return &md.System{Potential: spring{k: 1}, Masses: m, Dim: dim}
}

func mustState(t testing.TB, sys *md.System, x, v []float64, rng *rand.Rand) *md.State {
	t.Helper()
	st, err := md.NewState(sys, x, v, rng)
	require.NoError(t, err)
	return st
}

// stepper is a fake integrator that records its Advance chunks and moves
// X[0] by one per step, so observers can see which step they are at.
type stepper struct {
	bound  int
	chunks []int
}

func (s *stepper) Bind(*md.System) error { s.bound++; return nil }

func (s *stepper) Advance(st *md.State, n int) error {
	s.chunks = append(s.chunks, n)
	st.Step += int64(n)
	st.X[0] += float64(n)
	return nil
}

// probe is an observer that records the steps it saw and its lifecycle.
type probe struct {
	every   int64
	steps   []int64
	started int
	flushed int
	onStep  func(st *md.State) error
}

func (p *probe) Every() int64 { return p.every }
func (p *probe) Observe(st *md.State) error {
	p.steps = append(p.steps, st.Step)
	if p.onStep != nil {
		return p.onStep(st)
	}
	return nil
}
func (p *probe) Start(*md.System, *md.State, int64) error { p.started++; return nil }
func (p *probe) Flush() error                             { p.flushed++; return nil }
