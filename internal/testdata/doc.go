// Package testdata holds the assertion helpers that the tests of several
// packages share (bit-identity, error text, tolerances, block averages,
// file listings). It imports nothing of the project, so any package's
// internal tests can use it; simulated test data sets live in
// internal/simdata.
package testdata
