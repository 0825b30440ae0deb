package ad

// Tensor is a named matrix as stored in a checkpoint.
type Tensor struct {
	Name       string
	Rows, Cols int
	Data       []float64 // Rows×Cols, row-major
}

// SaveCheckpoint writes the parameters, the optimiser state (opt may be nil)
// and any extra tensors to path atomically (write to a temporary file in the
// same directory, sync, rename). See WriteTensors for the format.
func SaveCheckpoint(path string, ps []*Param, opt *Adam, extra ...Tensor) error {
	panic("TODO")
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint into ps (and
// opt, if non-nil) and returns the extra tensors. A missing tensor or a shape
// mismatch is an error naming the tensor and both shapes; nothing is modified
// unless every tensor matches.
func LoadCheckpoint(path string, ps []*Param, opt *Adam) (extra []Tensor, err error) {
	panic("TODO")
}
