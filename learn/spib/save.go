package spib

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/dspib/dspib"
	"github.com/dspib/dspib/internal/atomicfile"
	"github.com/dspib/dspib/learn/ad"
)

// File format of a saved model: two files.
//
//   - path: an ad checkpoint (ad.SaveCheckpoint, no optimiser state) with
//     every parameter under its name (enc.*, dec.*, prior.theta) and three
//     extra tensors: "std.mean" (1×D), "std.std" (1×D) and "rep.inputs"
//     (K×D, standardised).
//   - path + ".json": the sidecar {format, version, config, d_in, states}
//     that fixes the architecture; unknown keys are rejected.
//
// Load rebuilds the architecture from the sidecar, then reads the checkpoint,
// which checks every tensor's name and shape. Floats are stored bit-exactly,
// so a loaded model encodes bit-identically to the saved one.

const formatName = "dspib/spib-model/v1"

type sidecar struct {
	Format  string `json:"format"`
	Version string `json:"version"`
	Config  Config `json:"config"`
	D       int    `json:"d_in"`
	K       int    `json:"states"`
}

// Save writes the model to path and path+".json" (see the format above).
func (m *Model) Save(path string) error {
	sc := sidecar{Format: formatName, Version: dspib.Version, Config: m.cfg, D: m.D, K: m.K}
	b, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return fmt.Errorf("spib: save %s: %w", path, err)
	}
	if err := atomicfile.Write(path+".json", func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	}); err != nil {
		return fmt.Errorf("spib: save: %w", err)
	}
	extra := []ad.Tensor{
		{Name: "std.mean", Rows: 1, Cols: m.D, Data: m.Std.Mean},
		{Name: "std.std", Rows: 1, Cols: m.D, Data: m.Std.Std},
		{Name: "rep.inputs", Rows: m.K, Cols: m.D, Data: m.RepInputs},
	}
	if err := ad.SaveCheckpoint(path, m.Params(), nil, extra...); err != nil {
		return fmt.Errorf("spib: save %s: %w", path, err)
	}
	return nil
}

// Load reads a model written by Save.
func Load(path string) (*Model, error) {
	b, err := os.ReadFile(path + ".json")
	if err != nil {
		return nil, fmt.Errorf("spib: load: %w", err)
	}
	var sc sidecar
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("spib: load %s.json: %w", path, err)
	}
	if sc.Format != formatName {
		return nil, fmt.Errorf("spib: load %s.json: format %q, want %q", path, sc.Format, formatName)
	}
	cfg, err := sc.Config.Validate()
	if err != nil {
		return nil, fmt.Errorf("spib: load %s.json: %w", path, err)
	}
	if sc.D < 1 || sc.K < 1 {
		return nil, fmt.Errorf("spib: load %s.json: d_in = %d, states = %d, both must be ≥ 1", path, sc.D, sc.K)
	}
	if err := fitsCheckpoint(path, cfg, sc.D, sc.K); err != nil {
		return nil, fmt.Errorf("spib: load %s: %w", path, err)
	}
	// The initial values are overwritten by the checkpoint; the RNG only
	// fills the buffers.
	m := NewModel(cfg, sc.D, sc.K, Standardizer{}, rand.New(rand.NewPCG(0, 0)))
	extra, err := ad.LoadCheckpoint(path, m.Params(), nil)
	if err != nil {
		return nil, fmt.Errorf("spib: load %s: %w", path, err)
	}
	want := map[string][2]int{"std.mean": {1, sc.D}, "std.std": {1, sc.D}, "rep.inputs": {sc.K, sc.D}}
	got := map[string][]float64{}
	for _, t := range extra {
		if s, ok := want[t.Name]; ok {
			if t.Rows != s[0] || t.Cols != s[1] {
				return nil, fmt.Errorf("spib: load %s: tensor %s is %d×%d, want %d×%d", path, t.Name, t.Rows, t.Cols, s[0], s[1])
			}
			got[t.Name] = t.Data
		}
	}
	for name := range want {
		if got[name] == nil {
			return nil, fmt.Errorf("spib: load %s: tensor %s missing", path, name)
		}
	}
	m.Std = Standardizer{Mean: got["std.mean"], Std: got["std.std"]}
	copy(m.RepInputs, got["rep.inputs"])
	return m, nil
}

// fitsCheckpoint refuses, before NewModel allocates it, an architecture
// (from the sidecar) whose weights need more than the checkpoint file at
// path holds, 8 bytes per value: a corrupt sidecar could otherwise claim
// layers of 2⁶² units. The count is a lower bound (weight matrices,
// representatives and standardisation; biases left out), accumulated
// without overflow.
func fitsCheckpoint(path string, cfg Config, D, K int) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	limit := int(st.Size() / 8)
	need := 0
	add := func(a, b int) bool { // a, b ≥ 1
		if a > (limit-need)/b {
			return false
		}
		need += a * b
		return true
	}
	in, n1, n2, d := D, cfg.Hidden1, cfg.Hidden2, cfg.LatentDim
	ok := true
	if cfg.Encoder == Nonlinear {
		ok = add(D, n1) && add(n1, n1)
		in = n1
	}
	if ok = ok && add(in, d) && add(d, n2) && add(n2, n2) && add(n2, K) && add(K, D) && add(2, D); !ok {
		return fmt.Errorf("d_in = %d, states = %d, hidden1 = %d, hidden2 = %d, latent_dim = %d in %s.json need more weights than the checkpoint's %d bytes hold",
			D, K, n1, n2, d, path, st.Size())
	}
	return nil
}

// LinearWeights returns, for the Linear encoder, W (d×D, row-major) and b (d)
// of z_mean = W x + b with x in ORIGINAL feature units (the standardisation
// folded in: W = W_s/σ, b = b_s − W_s μ/σ), so each latent variable can be
// used as a collective variable, e.g. in PLUMED (COMBINE with these
// coefficients).
func (m *Model) LinearWeights() (W, b []float64, err error) {
	if m.cfg.Encoder != Linear {
		return nil, nil, fmt.Errorf("spib: LinearWeights needs the Linear encoder, model has %q", m.cfg.Encoder)
	}
	d, D := m.cfg.LatentDim, m.D
	W = make([]float64, d*D)
	b = make([]float64, d)
	for k := range d {
		b[k] = m.encMean.B.Data[k]
		for j := range D {
			ws := m.encMean.W.Data[k*D+j]
			W[k*D+j] = ws / m.Std.Std[j]
			b[k] -= ws * m.Std.Mean[j] / m.Std.Std[j]
		}
	}
	return W, b, nil
}

// Representatives returns the representative inputs in original feature
// units (K×D, row-major).
func (m *Model) Representatives() []float64 {
	r := make([]float64, len(m.RepInputs))
	for i, v := range m.RepInputs {
		j := i % m.D
		r[i] = v*m.Std.Std[j] + m.Std.Mean[j]
	}
	return r
}
