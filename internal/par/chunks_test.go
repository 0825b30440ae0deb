package par

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChunksCoverEveryChunkOnce: every chunk of [0, n) is called exactly
// once with the fixed boundaries [c·chunk, min((c+1)·chunk, n)), whatever
// the number of workers, and the worker index stays below min(workers,
// chunks) with no two concurrent calls sharing one.
func TestChunksCoverEveryChunkOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 3, 16} {
		for _, tc := range []struct{ n, chunk int }{{0, 4}, {1, 4}, {4, 4}, {5, 4}, {103, 10}, {1000, 1}} {
			nc := NumChunks(tc.n, tc.chunk)
			lo, hi := make([]int, nc), make([]int, nc)
			calls := make([]atomic.Int32, nc)
			wantW := workers
			if wantW < 1 {
				wantW = runtime.GOMAXPROCS(0)
			}
			wantW = min(wantW, nc)
			busy := make([]atomic.Int32, max(wantW, 1))
			Chunks(tc.n, tc.chunk, workers, func(w, c, l, h int) {
				require.Less(t, w, wantW, "worker index")
				require.Equal(t, int32(1), busy[w].Add(1), "worker %d used by two calls at once", w)
				calls[c].Add(1)
				lo[c], hi[c] = l, h
				busy[w].Add(-1)
			})
			for c := range nc {
				assert.Equal(t, int32(1), calls[c].Load(), "workers %d n %d: chunk %d calls", workers, tc.n, c)
				assert.Equal(t, c*tc.chunk, lo[c], "chunk %d lo", c)
				assert.Equal(t, min((c+1)*tc.chunk, tc.n), hi[c], "chunk %d hi", c)
			}
		}
	}
}

// TestChunksSerialOrder: one worker runs the chunks in order on the
// caller's goroutine (w = 0).
func TestChunksSerialOrder(t *testing.T) {
	var got []int
	Chunks(10, 3, 1, func(w, c, lo, hi int) {
		assert.Equal(t, 0, w)
		got = append(got, c)
	})
	assert.Equal(t, []int{0, 1, 2, 3}, got)
}
