package analysis

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// numChunks is the number of chunks of size chunk covering [0, n).
func numChunks(n, chunk int) int { return (n + chunk - 1) / chunk }

// parallelChunks calls fn(c, lo, hi) for every chunk c = [lo, hi) of [0, n)
// with chunks of fixed size chunk (the last one may be shorter), on up to
// GOMAXPROCS goroutines. The chunk boundaries depend only on n and chunk, so
// callers that store one partial result per chunk and reduce them in chunk
// order get bit-identical results on any number of cores.
func parallelChunks(n, chunk int, fn func(c, lo, hi int)) {
	nc := numChunks(n, chunk)
	if nc == 0 {
		return
	}
	workers := min(runtime.GOMAXPROCS(0), nc)
	if workers <= 1 {
		for c := 0; c < nc; c++ {
			lo := c * chunk
			fn(c, lo, min(lo+chunk, n))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				c := int(next.Add(1) - 1)
				if c >= nc {
					return
				}
				lo := c * chunk
				fn(c, lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
}

// firstError returns the first non-nil error in chunk order.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
