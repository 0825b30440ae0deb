package plumed_test

import (
	"log"
	"os"

	"github.com/dspib/dspib/export/plumed"
	"github.com/dspib/dspib/learn/spib"
)

// Write the SPIB CV of a model trained with the linear encoder on LJ7
// features (dspib train -encoder linear) as a PLUMED input fragment, to be
// included in plumed.dat with INCLUDE FILE=spib_cv.dat.
func ExampleWriteLinearCV() {
	m, err := spib.Load("model/spib.ckpt")
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Create("spib_cv.dat")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := plumed.WriteLinearCV(f, m, plumed.LJ7, "model/"); err != nil {
		log.Fatal(err)
	}
}
