// Package par holds the package's two parallel loops, both deterministic:
// the outcome never depends on the number of goroutines.
//
//   - Chunks, the one-shot chunk-parallel loop: [0, n) cut into fixed chunks
//     run on up to GOMAXPROCS goroutines (analysis' features, KDE, k-means
//     and Boltzmann grid; learn/spib's encoder; learn/diffusion's samplers;
//     learn/dspib's VampPrior sampler).
//   - Pool, the shards of a training step on a fixed set of goroutines
//     without allocating per step. learn/dspib's joint trainer and
//     learn/diffusion's Fit share it: both cut a batch into fixed shards, run
//     them on Workers goroutines and reduce the results in shard order.
package par

import (
	"sync"
	"sync/atomic"
)

// Pool calls a function on the indices 0, …, n−1 on up to Workers
// goroutines: the caller's and Workers−1 helpers started on first use and
// kept until Close. A Run allocates nothing (it hands work out over a
// channel and an atomic counter), which matters for a step taken thousands
// of times per epoch. A Pool is not safe for concurrent Runs.
type Pool struct {
	workers int
	jobs    chan int // to the helpers: the n of the current Run
	next    atomic.Int64
	wg      sync.WaitGroup
	fn      func(i int)
}

// New returns a pool of up to workers goroutines (values below 1 mean 1)
// that calls fn(i) for every index of a Run. fn must be safe to call
// concurrently for distinct i.
func New(workers int, fn func(i int)) *Pool {
	return &Pool{workers: max(workers, 1), fn: fn}
}

// Run calls fn(i) for i in [0, n), in no particular order, and returns when
// every call has returned. Indices are handed out one at a time, so
// shards of unequal cost balance across the goroutines.
func (p *Pool) Run(n int) {
	w := min(p.workers, n)
	if w < 1 {
		return
	}
	p.next.Store(0)
	p.wg.Add(w)
	if w > 1 {
		if p.jobs == nil {
			jobs := make(chan int)
			p.jobs = jobs
			for range p.workers - 1 {
				go func() {
					for n := range jobs {
						p.work(n)
					}
				}()
			}
		}
		for range w - 1 {
			p.jobs <- n
		}
	}
	p.work(n)
	p.wg.Wait()
}

// work runs indices until none is left.
func (p *Pool) work(n int) {
	defer p.wg.Done()
	for {
		i := int(p.next.Add(1)) - 1
		if i >= n {
			return
		}
		p.fn(i)
	}
}

// Close stops the helper goroutines. The pool may be Run again afterwards
// (it starts new helpers); Close on a pool that never ran is a no-op.
func (p *Pool) Close() {
	if p.jobs != nil {
		close(p.jobs)
		p.jobs = nil
	}
}
