package diffusion

import "math"

// respaced is the schedule of an evenly spaced subsequence τ_0 < … < τ_{S−1}
// of a schedule's steps (τ_0 = 0 and τ_{S−1} = N−1 for S ≥ 2; τ_0 = N−1 for
// S = 1), with
//
//	ᾱ'_k = ᾱ_{τ_k},  β'_k = 1 − ᾱ_{τ_k}/ᾱ_{τ_{k−1}}  (β'_0 = 1 − ᾱ_{τ_0}),
//
// so that Π_{j≤k}(1 − β'_j) = ᾱ'_k: the same forward marginals on the
// retained steps, hence the same noise network, sampled in S steps (Nichol
// & Dhariwal, "Improved Denoising Diffusion Probabilistic Models", ICML
// 2021, §4). The network is evaluated at the original step τ_k.
type respaced struct {
	tau      []int
	beta, ab []float64
}

// respace returns the respacing of s to steps steps, or nil when steps is 0
// or s.Len() (every step: the samplers then use s itself, bit for bit).
func respace(s Schedule, steps int) *respaced {
	n := s.Len()
	if steps == 0 || steps >= n {
		return nil
	}
	r := &respaced{tau: make([]int, steps), beta: make([]float64, steps), ab: make([]float64, steps)}
	prev := 1.0
	for k := range steps {
		i := n - 1
		if steps > 1 {
			i = int(math.Round(float64(k) * float64(n-1) / float64(steps-1)))
		}
		r.tau[k] = i
		r.ab[k] = s.AlphaBar(i)
		r.beta[k] = 1 - r.ab[k]/prev
		prev = r.ab[k]
	}
	return r
}

func (r *respaced) Len() int               { return len(r.tau) }
func (r *respaced) Beta(k int) float64     { return r.beta[k] }
func (r *respaced) AlphaBar(k int) float64 { return r.ab[k] }

// respacedPredictor evaluates a noise model at the original step τ_k of
// respaced step k.
type respacedPredictor struct {
	pred predictor
	tau  []int
}

func (r respacedPredictor) predict(z []float64, m, k int) []float64 {
	return r.pred.predict(z, m, r.tau[k])
}

// SampleSchedule returns the schedule the samplers run on: the training
// schedule, or its respacing to Config.SampleSteps steps, and the training
// step at which each of its steps evaluates the network.
func (p *Prior) SampleSchedule() (Schedule, []int) {
	if p.sampleSched == nil {
		tau := make([]int, p.sched.Len())
		for i := range tau {
			tau[i] = i
		}
		return p.sched, tau
	}
	return p.sampleSched, append([]int(nil), p.sampleSched.tau...)
}
