package traj

import "strconv"

// TempTag names temperature kT in file names and metadata roles: "kT" and
// the value with three decimals (kT 0.6 → "kT0.600", 10 → "kT10.000"), or,
// when three decimals would round it, every digit needed to read it back
// exactly (0.6125 → "kT0.6125"). It depends only on kT and is injective:
// a three-decimal tag is exact and a longer one is the shortest round-trip
// representation.
func TempTag(kT float64) string {
	short := strconv.FormatFloat(kT, 'f', 3, 64)
	if v, err := strconv.ParseFloat(short, 64); err == nil && v == kT {
		return "kT" + short
	}
	return "kT" + strconv.FormatFloat(kT, 'f', -1, 64)
}
