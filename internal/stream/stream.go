// Package stream is the one way the package derives independent random
// streams from a user's seed. A stream is named by a tag (what it is for:
// "diffusion/generate", "md/train"), a temperature kT [ε] (0 when the stream
// does not depend on temperature) and an index (a chunk or a replica), so a
// stream never depends on which other streams were drawn, or in which order:
// the samples at kT 0.3 are the same whether kT 0.3 is generated alone or
// together with other temperatures.
//
// Seed is FNV-1a over (seed, tag, bits of kT) followed by the SplitMix64
// finaliser (Steele, Lea & Flood, OOPSLA 2014); New feeds it and the
// SplitMix64-scrambled index to PCG (math/rand/v2).
package stream

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// Seed returns the 64-bit seed of the stream named by tag and kT under seed.
func Seed(seed uint64, tag string, kT float64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(tag))
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(kT))
	h.Write(b[:])
	return Mix(h.Sum64())
}

// New returns the PCG generator of stream (tag, kT, index) under seed.
func New(seed uint64, tag string, kT float64, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(Seed(seed, tag, kT), Mix(index)))
}

// Rand returns the PCG generator of stream (tag, kT) under seed,
// rand.New(Source(seed, tag, kT)): the streams of the benchmarks' splits
// and models, named by what they are for so that reusing one stage never
// shifts the random numbers of another.
func Rand(seed uint64, tag string, kT float64) *rand.Rand {
	return rand.New(Source(seed, tag, kT))
}

// Source returns the PCG source of stream (tag, kT) under seed, seeded
// (Seed(seed, tag, kT), Seed(…) XOR 0x5851f42d4c957f2d), for trainers that
// take a *rand.PCG (to checkpoint its state) rather than a *rand.Rand.
func Source(seed uint64, tag string, kT float64) *rand.PCG {
	s := Seed(seed, tag, kT)
	return rand.NewPCG(s, s^0x5851f42d4c957f2d)
}

// Mix is the SplitMix64 finaliser: it scrambles x into a well-separated
// 64-bit value (consecutive inputs give unrelated outputs).
func Mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
