package ad_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dspib/dspib/learn/ad"
)

// Fit y = sin x on [−π, π] with a small MLP and Adam: the tape is reset and
// reused every step, so the loop allocates nothing after the first pass.
func Example() {
	const n = 64
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = -math.Pi + 2*math.Pi*float64(i)/(n-1)
		y[i] = math.Sin(x[i])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	net := ad.NewMLP("net", []int{1, 16, 16, 1}, ad.ActTanh, rng)
	params := ad.ParamSet(net.Params())
	opt, err := ad.NewAdam(params, ad.AdamConfig{LR: 0.01})
	if err != nil {
		panic(err)
	}
	tape := ad.NewTape()
	var mse float64
	for step := 0; step < 400; step++ {
		tape.Reset()
		params.ZeroGrad()
		pred := net.Forward(tape, tape.Const(n, 1, x))
		loss := tape.MSE(pred, tape.Const(n, 1, y))
		tape.Backward(loss)
		opt.Step()
		mse = loss.Scalar()
	}
	tape.Reset()
	at := net.Forward(tape, tape.Const(1, 1, []float64{math.Pi / 2}))
	fmt.Printf("MSE below 1e-3: %v\n", mse < 1e-3)
	fmt.Printf("net(π/2) = %.2f (sin = 1)\n", at.Scalar())
	// Output:
	// MSE below 1e-3: true
	// net(π/2) = 1.00 (sin = 1)
}
