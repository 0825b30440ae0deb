package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// NumChunks is the number of chunks of size chunk (≥ 1) that cover [0, n).
func NumChunks(n, chunk int) int { return (n + chunk - 1) / chunk }

// Chunks is the deterministic chunk-parallel loop: it cuts [0, n) into
// fixed chunks [lo, hi) of size chunk (the last may be shorter) and calls
// fn(w, c, lo, hi) once for every chunk c on up to workers goroutines
// (workers < 1: runtime.GOMAXPROCS(0)), returning when every call has
// returned. Chunks are handed out one at a time, so unequal chunks balance.
//
// The chunk boundaries depend only on n and chunk, never on the number of
// goroutines or on scheduling: a caller that writes each chunk's output to
// its own place (rows lo..hi, or partial result c reduced afterwards in
// chunk order) gets bit-identical results on any number of cores.
//
// w, in [0, min(workers, NumChunks(n, chunk))), names the goroutine that
// makes the call, for per-goroutine scratch (tapes, buffers); no two calls
// with the same w run at the same time. With one worker (or one chunk) the
// calls run on the caller's goroutine, in chunk order, with w = 0.
//
// For the steps of a training loop, taken thousands of times, use Pool,
// which keeps its goroutines and allocates nothing per Run; Chunks starts
// its goroutines afresh on every call.
func Chunks(n, chunk, workers int, fn func(w, c, lo, hi int)) {
	nc := NumChunks(n, chunk)
	if nc <= 0 {
		return
	}
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, nc)
	if workers == 1 {
		for c := range nc {
			lo := c * chunk
			fn(0, c, lo, min(lo+chunk, n))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				c := int(next.Add(1) - 1)
				if c >= nc {
					return
				}
				lo := c * chunk
				fn(w, c, lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
}
