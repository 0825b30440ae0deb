package spib

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"

	"github.com/dspib/dspib/learn/monitor"
)

// EncoderKind selects the encoder architecture (docs/method.md §2).
type EncoderKind string

const (
	// Nonlinear is Linear(D,n1)–ReLU–Linear(n1,n1)–ReLU–Linear(n1,d), the
	// SPIB default (Wang & Tiwary, J. Chem. Phys. 154, 134111, 2021).
	Nonlinear EncoderKind = "nonlinear"
	// Linear is z_mean = W x + b: the latent variables are linear
	// collective variables usable directly in PLUMED.
	Linear EncoderKind = "linear"
)

// LogVarKind selects how the encoder's log-variance is parameterised.
type LogVarKind string

const (
	// SharedLogVar is one learnable log-variance per latent dimension,
	// shared by every sample (the D-SPIB / Latent Thermodynamic Flows code).
	SharedLogVar LogVarKind = "shared"
	// PerSampleLogVar is a head −10·sigmoid(Linear(h)) on the last hidden
	// layer (or on the input, for the Linear encoder), as in the original
	// SPIB code.
	PerSampleLogVar LogVarKind = "per-sample"
)

// Config holds the SPIB hyper-parameters. The zero value means the reference
// defaults of docs/method.md §2 (d = 2, Nonlinear encoder, n1 = n2 = 16, β = 1e−5,
// Adam lr 1e−3, batch 512, 5 refinement rounds, tolerance 1e−3, patience 5);
// Validate fills them in. Every field can be set from JSON; ParseConfig
// rejects unknown keys.
type Config struct {
	// Lag is the time lag Δ between the input frame x_t and the frame
	// y_{t+Δ} whose state is predicted, in frames. Default 1.
	Lag int `json:"lag,omitempty"`
	// LatentDim is d, the number of latent variables. Default 2.
	LatentDim int `json:"latent_dim,omitempty"`
	// Encoder is the encoder architecture. Default Nonlinear.
	Encoder EncoderKind `json:"encoder,omitempty"`
	// LogVar is the log-variance parameterisation. Default SharedLogVar.
	LogVar LogVarKind `json:"log_var,omitempty"`
	// Hidden1 (n1) and Hidden2 (n2) are the encoder and decoder hidden
	// widths. Default 16 each.
	Hidden1 int `json:"hidden1,omitempty"`
	Hidden2 int `json:"hidden2,omitempty"`
	// Beta is the information-bottleneck weight β of the KL term
	// (dimensionless). Default 1e−5. Use a negative value for β = 0.
	Beta float64 `json:"beta,omitempty"`
	// LearningRate is Adam's step size. Default 1e−3.
	LearningRate float64 `json:"learning_rate,omitempty"`
	// LRDecay multiplies the learning rate after every epoch (exponential
	// decay, in (0, 1]). Default 1 (no decay). The learning rate restarts
	// from LearningRate with every fresh optimiser.
	LRDecay float64 `json:"lr_decay,omitempty"`
	// BatchSize is the number of lagged pairs per optimiser step. Default 512.
	BatchSize int `json:"batch_size,omitempty"`
	// Refinements is the number of label refinements (rounds after the
	// first). Default 5; a negative value means none (train one round with
	// the initial labels).
	Refinements int `json:"refinements,omitempty"`
	// Tolerance is the relative change of the epoch training loss below
	// which an epoch counts as unchanged. Default 1e−3.
	Tolerance float64 `json:"tolerance,omitempty"`
	// Patience: a round has converged when more than Patience consecutive
	// epochs were unchanged. Default 5; a negative value means 0.
	Patience int `json:"patience,omitempty"`
	// MaxEpochs caps the epochs of one round (choice of docs/method.md §2: the
	// references have no cap). Default 1000.
	MaxEpochs int `json:"max_epochs,omitempty"`
	// TrainFrac and TestFrac are the shares of lagged pairs used for
	// training and testing; the rest is validation, used only for
	// evaluation. Defaults 0.6 and 0.2.
	TrainFrac float64 `json:"train_frac,omitempty"`
	TestFrac  float64 `json:"test_frac,omitempty"`
	// Workers bounds the goroutines used to encode all frames (relabelling,
	// results). Default runtime.GOMAXPROCS(0); the result does not depend
	// on it (fixed chunks, each row computed independently).
	Workers int `json:"workers,omitempty"`

	// Observers are called after every epoch, in order (learn/monitor:
	// Phase "spib", Round, Epoch within the round, Max = MaxEpochs, Losses
	// loss, ce, kl, test_loss, test_ce, test_kl, States the populated
	// states, Last at the end of a round); an error stops training and is
	// returned. A *monitor.Progress writes progress lines.
	Observers []monitor.Observer `json:"-"`
	// Checkpoint, when not empty, is the path of the training-state file
	// (TrainState.Save) that TrainContext and TrainDataContext write
	// atomically after every epoch that training continues from, and
	// resume from, bit for bit, when it exists. A file written for other
	// data, settings or another initial state of the random source is
	// refused. Train and TrainData refuse it: their *rand.Rand cannot be
	// saved.
	Checkpoint string `json:"-"`
}

// ParseConfig reads a JSON configuration. Unknown keys and trailing data are
// errors. The result is validated (defaults filled in).
func ParseConfig(r io.Reader) (Config, error) {
	var c Config
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("spib: config: %w", err)
	}
	if dec.More() {
		return Config{}, fmt.Errorf("spib: config: trailing data after the JSON object")
	}
	return c.Validate()
}

// MarshalConfig writes c as indented JSON (the fields ParseConfig accepts).
func MarshalConfig(c Config) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	err := enc.Encode(c)
	return buf.Bytes(), err
}

// Validate returns c with zero fields replaced by their defaults, or an error
// naming the first invalid field. It is the single place where a Config is
// checked.
func (c Config) Validate() (Config, error) {
	bad := func(field string, v any, why string) (Config, error) {
		return Config{}, fmt.Errorf("spib: Config.%s = %v: %s", field, v, why)
	}
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	deff := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Lag, 1)
	def(&c.LatentDim, 2)
	def(&c.Hidden1, 16)
	def(&c.Hidden2, 16)
	def(&c.BatchSize, 512)
	def(&c.Refinements, 5)
	def(&c.Patience, 5)
	def(&c.MaxEpochs, 1000)
	def(&c.Workers, runtime.GOMAXPROCS(0))
	deff(&c.Beta, 1e-5)
	deff(&c.LearningRate, 1e-3)
	deff(&c.LRDecay, 1)
	deff(&c.Tolerance, 1e-3)
	deff(&c.TrainFrac, 0.6)
	deff(&c.TestFrac, 0.2)
	if c.Encoder == "" {
		c.Encoder = Nonlinear
	}
	if c.LogVar == "" {
		c.LogVar = SharedLogVar
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case c.Lag < 1:
		return bad("Lag", c.Lag, "must be ≥ 1 frame")
	case c.LatentDim < 1:
		return bad("LatentDim", c.LatentDim, "must be ≥ 1")
	case c.Encoder != Nonlinear && c.Encoder != Linear:
		return bad("Encoder", c.Encoder, `must be "nonlinear" or "linear"`)
	case c.LogVar != SharedLogVar && c.LogVar != PerSampleLogVar:
		return bad("LogVar", c.LogVar, `must be "shared" or "per-sample"`)
	case c.Hidden1 < 1:
		return bad("Hidden1", c.Hidden1, "must be ≥ 1")
	case c.Hidden2 < 1:
		return bad("Hidden2", c.Hidden2, "must be ≥ 1")
	case !finite(c.Beta):
		return bad("Beta", c.Beta, "must be finite")
	case !(c.LearningRate > 0) || !finite(c.LearningRate):
		return bad("LearningRate", c.LearningRate, "must be finite and > 0")
	case !(c.LRDecay > 0 && c.LRDecay <= 1):
		return bad("LRDecay", c.LRDecay, "must be in (0, 1]")
	case c.BatchSize < 1:
		return bad("BatchSize", c.BatchSize, "must be ≥ 1")
	case !(c.Tolerance > 0) || !finite(c.Tolerance):
		return bad("Tolerance", c.Tolerance, "must be finite and > 0")
	case c.MaxEpochs < 1:
		return bad("MaxEpochs", c.MaxEpochs, "must be ≥ 1")
	case !(c.TrainFrac > 0 && c.TrainFrac < 1):
		return bad("TrainFrac", c.TrainFrac, "must be in (0, 1)")
	case !(c.TestFrac > 0 && c.TrainFrac+c.TestFrac <= 1):
		return bad("TestFrac", c.TestFrac, "must be > 0 with TrainFrac+TestFrac ≤ 1")
	case c.Workers < 1:
		return bad("Workers", c.Workers, "must be ≥ 1")
	}
	if c.Refinements < 0 {
		c.Refinements = -1
	}
	if c.Patience < 0 {
		c.Patience = -1
	}
	return c, nil
}

// beta is the effective β of a validated Config (a negative Beta means 0;
// it stays negative in the Config so that Validate is idempotent).
func (c Config) beta() float64 { return max(c.Beta, 0) }

// patience is the effective patience (≥ 0).
func (c Config) patience() int { return max(c.Patience, 0) }

// refinements is the effective number of refinements (≥ 0).
func (c Config) refinements() int { return max(c.Refinements, 0) }
