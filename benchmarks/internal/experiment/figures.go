package experiment

import "github.com/dspib/dspib/evaluate"

// writeFigures writes the figures of one experiment (first seed) into dir and
// returns their file names (evaluate.WriteFigures).
func writeFigures(dir string, x *expRun) ([]string, error) {
	return evaluate.WriteFigures(dir, x.res)
}
