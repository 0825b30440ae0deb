package main

import (
	"math"
	"strconv"

	"github.com/dspib/dspib/md/runstore"
)

// tempTag names temperature kT in file names (runstore.TempTag, the one
// naming rule of run folders).
var tempTag = runstore.TempTag

// parseTemps parses a comma-separated kT list: every value finite and > 0,
// no duplicates.
func parseTemps(s string) ([]float64, error) {
	var temps []float64
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ',' {
			continue
		}
		field := s[start:i]
		start = i + 1
		v, err := strconv.ParseFloat(field, 64)
		if err != nil {
			return nil, usagef("-temps: value %d %q is not a number", len(temps)+1, field)
		}
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, usagef("-temps: value %d is kT = %v, want finite > 0", len(temps)+1, v)
		}
		for j, w := range temps {
			if w == v {
				return nil, usagef("-temps: kT = %v appears twice (values %d and %d)", v, j+1, len(temps)+1)
			}
		}
		temps = append(temps, v)
	}
	return temps, nil
}
