// Package seeds derives independent random streams from one run seed, so
// that every trajectory, split and model of a run draws from its own stream
// and reusing one stage never shifts the random numbers of another.
package seeds

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// Derive returns a 64-bit seed for the stream named by tag and kT under the
// run seed: FNV-1a of (seed, tag, bits of kT) followed by the SplitMix64
// finaliser (Steele, Lea & Flood, OOPSLA 2014). It depends on nothing else,
// in particular not on which other streams a run uses.
func Derive(seed uint64, tag string, kT float64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(tag))
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(kT))
	h.Write(b[:])
	z := h.Sum64() + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Rand returns a PCG stream (math/rand/v2) seeded with Derive(seed, tag, kT).
func Rand(seed uint64, tag string, kT float64) *rand.Rand {
	s := Derive(seed, tag, kT)
	return rand.New(rand.NewPCG(s, s^0x5851f42d4c957f2d))
}
