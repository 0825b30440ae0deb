package traj_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/dspib/dspib/md/traj"
)

// Stream frames of a 2-particle, 2-D system to a .npy file, then read them
// back. Until Close, only traj.npy.part exists.
func ExampleNPYWriter() {
	dir, err := os.MkdirTemp("", "traj-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "traj.npy")

	w, err := traj.Create(path, 4) // 2 particles × 2 dimensions per row
	if err != nil {
		log.Fatal(err)
	}
	for step := range 3 {
		x := float64(step)
		if err := w.WriteFrame([]float64{x, 0, x + 1, 0.5}); err != nil {
			log.Fatal(err)
		}
	}
	_, err = os.Stat(path)
	fmt.Println("complete file before Close:", err == nil)
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	data, rows, cols, err := traj.ReadNPY(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("shape (%d, %d)\n", rows, cols)
	fmt.Println("last frame:", data[(rows-1)*cols:])
	// Output:
	// complete file before Close: false
	// shape (3, 4)
	// last frame: [2 0 3 0.5]
}
