package main

import (
	"strconv"
	"strings"
)

// MaxKT is the largest temperature any command accepts [ε]. Every system's
// temperatures are O(1) ε; kT = 1e6 ε is already far past any physics the
// integrators resolve at their time steps, and the cap keeps absurd values
// (kT 1e300) from failing late, deep inside MD or in 300-character file
// names, instead of up front.
const MaxKT = 1e6

// parseKTList parses a comma-separated kT list [ε]: spaces around values are
// trimmed, every value is finite, > 0 and ≤ MaxKT. With unique, a repeated
// value is an error (a run folder holds one file per temperature); without,
// repeats are allowed (several -features files may share a temperature).
func parseKTList(flagName, s string, unique bool) ([]float64, error) {
	var temps []float64
	for i, field := range strings.Split(s, ",") {
		field = strings.TrimSpace(field)
		v, err := strconv.ParseFloat(field, 64)
		if err != nil {
			return nil, usagef("%s: value %d %q is not a number", flagName, i+1, field)
		}
		if !(v > 0) || v > MaxKT {
			return nil, usagef("%s: value %d is kT = %v, want finite, > 0 and ≤ %g", flagName, i+1, v, MaxKT)
		}
		if unique {
			for j, w := range temps {
				if w == v {
					return nil, usagef("%s: kT = %v appears twice (values %d and %d)", flagName, v, j+1, i+1)
				}
			}
		}
		temps = append(temps, v)
	}
	return temps, nil
}

// parseTemps parses -temps: a comma-separated list of distinct kT.
func parseTemps(s string) ([]float64, error) { return parseKTList("-temps", s, true) }
