// Package testutil holds the helpers that the tests of several packages
// share: bit-identity (SameBits), error text (WantErr), tolerances that
// fail on non-finite values (InDelta), block averages, file listings and the
// fuzz targets' input helpers, and the observer that the learners' observer
// tests share (Observed). It imports nothing of this module but the leaf
// learn/monitor (standard library only), so any package's internal tests,
// md and md/traj included, can use it; simulated
// test data sets live in internal/simdata. (It was internal/testdata, a name
// the go tool's ./... patterns skip, so its own tests never ran.)
package testutil
