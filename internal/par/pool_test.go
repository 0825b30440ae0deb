package par

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunCoversEveryIndexOnce checks that every index of a Run is called
// exactly once, for fewer, as many and more indices than workers, over
// repeated Runs and after Close.
func TestRunCoversEveryIndexOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 7} {
		var counts [50]atomic.Int32
		p := New(workers, func(i int) { counts[i].Add(1) })
		runs := 0
		for _, n := range []int{0, 1, 3, 7, 50, 50} {
			p.Run(n)
			runs++
			if runs == 4 {
				p.Close() // later Runs start new helpers
			}
			for i := range counts {
				want := int32(0)
				if i < n {
					want = 1
				}
				require.Equal(t, want, counts[i].Swap(0), "workers %d, Run(%d): calls of index %d", workers, n, i)
			}
		}
		p.Close()
		p.Close()
	}
}

// TestRunAllocatesNothing checks the promise the trainers rely on.
func TestRunAllocatesNothing(t *testing.T) {
	var sink atomic.Int64
	p := New(3, func(i int) { sink.Add(int64(i)) })
	defer p.Close()
	p.Run(16)
	assert.Zero(t, testing.AllocsPerRun(100, func() { p.Run(16) }), "Run allocations per call")
}

func BenchmarkRun(b *testing.B) {
	var sink atomic.Int64
	p := New(2, func(i int) { sink.Add(int64(i)) })
	defer p.Close()
	b.ReportAllocs()
	for range b.N {
		p.Run(16)
	}
}
