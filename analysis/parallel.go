package analysis

// The chunk-parallel loops of this package (features, KDE, k-means, the
// Boltzmann grid) run on internal/par.Chunks: fixed chunk boundaries, so
// results are bit-identical on any number of cores.

// firstError returns the first non-nil error in chunk order.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
