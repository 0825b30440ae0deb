package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/dspib/dspib/learn/ad"
)

// File layout: a learn/ad checkpoint (see ad.SaveCheckpoint) holding the
// network parameters under their names ("eps.k.W", "eps.k.b", "eps.k.P",
// "eps.out.W", "eps.out.b") plus these extra tensors:
//
//	diffusion.config       1×14: format version, Dim, Steps, BetaMin, BetaMax,
//	                       Exponent, KTRef, Embedding, SmoothFrequencies,
//	                       FourierDim, FourierScale, Act, Replicas, Process;
//	                       1×17 with Sampler, SampleSteps, UnitStart (0/1)
//	                       appended when any of these is not its default
//	                       (so a default prior's file is unchanged);
//	                       1×18 with LatentScale appended after those when
//	                       it is set; 1×19 with Coupling appended after
//	                       LatentScale (0 for 1) when it is not the default;
//	                       1×20 with Experts appended after Coupling when
//	                       it is > 1; 1×22 with Corrector, CorrectorSNR
//	                       appended after Experts when Corrector > 0;
//	                       1×24 with InputFrequencies, InputMaxFrequency
//	                       appended after those when InputFrequencies > 0;
//	                       1×25 with StepSampling appended after those
//	                       when it is not StepsUniform; 1×26 with
//	                       InputGated (1) appended after that when set
//	diffusion.hidden       1×len(Hidden)
//	diffusion.embed.step   1×FourierDim/2 (Fourier embedding only)
//	diffusion.embed.temp   1×FourierDim/2 (Fourier embedding only)
const (
	tagConfig    = "diffusion.config"
	tagHidden    = "diffusion.hidden"
	tagEmbStep   = "diffusion.embed.step"
	tagEmbTemp   = "diffusion.embed.temp"
	formatVer    = 1
	configFields = 14
	// configFieldsSampling is the length with the sampling settings.
	configFieldsSampling = 17
	// configFieldsScale is the length with LatentScale.
	configFieldsScale = 18
	// configFieldsCoupling is the length with Coupling, and
	// configFieldsExperts with Experts.
	configFieldsCoupling = 19
	configFieldsExperts  = 20
	// configFieldsCorrector is the length with Corrector and CorrectorSNR,
	// configFieldsInput with InputFrequencies and InputMaxFrequency.
	configFieldsCorrector = 22
	configFieldsInput     = 24
	// configFieldsSteps is the length with StepSampling, configFieldsGated
	// with InputGated.
	configFieldsSteps = 25
	configFieldsGated = 26
)

func (p *Prior) extraTensors() []ad.Tensor {
	c := p.cfg
	conf := []float64{formatVer, float64(c.Dim), float64(c.Steps), c.BetaMin, c.BetaMax, c.Exponent, c.KTRef,
		float64(c.Embedding), float64(c.SmoothFrequencies), float64(c.FourierDim), c.FourierScale,
		float64(c.Act), float64(c.Replicas), float64(c.Process)}
	// Each optional block is written when it or any later one is set, so
	// that a field's position never changes.
	gated := c.InputGated
	steps := c.StepSampling != StepsUniform || gated
	feats := c.InputFrequencies > 0 || steps
	corr := c.Corrector > 0 || feats
	experts := c.Experts > 1 || corr
	coupled := c.Coupling != CouplingEmbedded || experts
	scaled := c.LatentScale != 0 || coupled
	if c.Sampler != Ancestral || c.SampleSteps != 0 || c.UnitStart || scaled {
		unit := 0.0
		if c.UnitStart {
			unit = 1
		}
		conf = append(conf, float64(c.Sampler), float64(c.SampleSteps), unit)
	}
	if scaled {
		conf = append(conf, c.LatentScale)
	}
	if coupled {
		conf = append(conf, float64(c.Coupling))
	}
	if experts {
		conf = append(conf, float64(c.Experts))
	}
	if corr {
		conf = append(conf, float64(c.Corrector), c.CorrectorSNR)
	}
	if feats {
		conf = append(conf, float64(c.InputFrequencies), c.InputMaxFrequency)
	}
	if steps {
		conf = append(conf, float64(c.StepSampling))
	}
	if gated {
		conf = append(conf, 1)
	}
	hid := make([]float64, len(c.Hidden))
	for i, w := range c.Hidden {
		hid[i] = float64(w)
	}
	ts := []ad.Tensor{
		{Name: tagConfig, Rows: 1, Cols: len(conf), Data: conf},
		{Name: tagHidden, Rows: 1, Cols: len(hid), Data: hid},
	}
	if c.Embedding == Fourier {
		ts = append(ts,
			ad.Tensor{Name: tagEmbStep, Rows: 1, Cols: len(p.emb.wStep), Data: p.emb.wStep},
			ad.Tensor{Name: tagEmbTemp, Rows: 1, Cols: len(p.emb.wTemp), Data: p.emb.wTemp})
	}
	return ts
}

// Save writes the prior (configuration, embedding frequencies and network
// parameters) to path atomically, in learn/ad's checkpoint format.
func (p *Prior) Save(path string) error {
	return ad.SaveCheckpoint(path, p.params, nil, p.extraTensors()...)
}

// Tensors returns everything Save writes, as tensors (parameters share the
// prior's memory), so that a larger model (D-SPIB) can store the prior in
// its own checkpoint; FromTensors reverses it.
func (p *Prior) Tensors() []ad.Tensor {
	return append(ad.ParamTensors(p.params), p.extraTensors()...)
}

// Load reads a prior written by Save. It returns an error if the file is not
// a prior checkpoint, its configuration is invalid, or a parameter is
// missing or has a shape that does not match the stored configuration
// (naming the tensor and both shapes).
func Load(path string) (*Prior, error) {
	ts, err := ad.LoadTensors(path)
	if err != nil {
		return nil, err
	}
	p, err := FromTensors(ts)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return p, nil
}

// FromTensors builds a prior from tensors as returned by Tensors (or read
// from a checkpoint that contains them among others, which are ignored).
// Errors are as for Load. The prior copies the data.
func FromTensors(ts []ad.Tensor) (*Prior, error) {
	byName := make(map[string]ad.Tensor, len(ts))
	for _, t := range ts {
		byName[t.Name] = t
	}
	ct, ok := byName[tagConfig]
	lengths := []int{configFields, configFieldsSampling, configFieldsScale, configFieldsCoupling, configFieldsExperts, configFieldsCorrector, configFieldsInput, configFieldsSteps, configFieldsGated}
	if !ok || !slices.Contains(lengths, len(ct.Data)) {
		return nil, fmt.Errorf("diffusion: FromTensors: no %q tensor of %v values: not a diffusion prior", tagConfig, lengths)
	}
	if v := ct.Data[0]; v != formatVer {
		return nil, fmt.Errorf("diffusion: FromTensors: format version %g, this code reads %d", v, formatVer)
	}
	ht, ok := byName[tagHidden]
	if !ok {
		return nil, fmt.Errorf("diffusion: FromTensors: %q tensor missing", tagHidden)
	}
	asInt := func(name string, v float64) (int, error) {
		if v != math.Trunc(v) || math.Abs(v) > 1<<30 {
			return 0, fmt.Errorf("diffusion: FromTensors: %s = %g, want an integer", name, v)
		}
		return int(v), nil
	}
	c := ct.Data
	var cfg Config
	ints := []struct {
		name string
		dst  *int
		v    float64
	}{{"Dim", &cfg.Dim, c[1]}, {"Steps", &cfg.Steps, c[2]}, {"SmoothFrequencies", &cfg.SmoothFrequencies, c[8]},
		{"FourierDim", &cfg.FourierDim, c[9]}, {"Replicas", &cfg.Replicas, c[12]}}
	for _, f := range ints {
		v, err := asInt(f.name, f.v)
		if err != nil {
			return nil, err
		}
		*f.dst = v
	}
	emb, err := asInt("Embedding", c[7])
	if err != nil {
		return nil, err
	}
	act, err := asInt("Act", c[11])
	if err != nil {
		return nil, err
	}
	proc, err := asInt("Process", c[13])
	if err != nil {
		return nil, err
	}
	cfg.Embedding, cfg.Act, cfg.Process = Embedding(emb), Activation(act), Process(proc)
	if len(c) >= configFieldsScale {
		cfg.LatentScale = c[17]
	}
	if len(c) >= configFieldsCoupling {
		cp, err := asInt("Coupling", c[18])
		if err != nil {
			return nil, err
		}
		cfg.Coupling = Coupling(cp)
	}
	if len(c) >= configFieldsExperts {
		if cfg.Experts, err = asInt("Experts", c[19]); err != nil {
			return nil, err
		}
	}
	if len(c) >= configFieldsCorrector {
		if cfg.Corrector, err = asInt("Corrector", c[20]); err != nil {
			return nil, err
		}
		cfg.CorrectorSNR = c[21]
	}
	if len(c) >= configFieldsInput {
		if cfg.InputFrequencies, err = asInt("InputFrequencies", c[22]); err != nil {
			return nil, err
		}
		cfg.InputMaxFrequency = c[23]
	}
	if len(c) >= configFieldsSteps {
		st, err := asInt("StepSampling", c[24])
		if err != nil {
			return nil, err
		}
		cfg.StepSampling = StepSampling(st)
	}
	if len(c) == configFieldsGated {
		if c[25] != 1 {
			return nil, fmt.Errorf("diffusion: FromTensors: InputGated = %g, want 1 when stored", c[25])
		}
		cfg.InputGated = true
	}
	if len(c) >= configFieldsSampling {
		smp, err := asInt("Sampler", c[14])
		if err != nil {
			return nil, err
		}
		if cfg.SampleSteps, err = asInt("SampleSteps", c[15]); err != nil {
			return nil, err
		}
		if c[16] != 0 && c[16] != 1 {
			return nil, fmt.Errorf("diffusion: FromTensors: UnitStart = %g, want 0 or 1", c[16])
		}
		cfg.Sampler, cfg.UnitStart = Sampler(smp), c[16] == 1
	}
	cfg.BetaMin, cfg.BetaMax, cfg.Exponent, cfg.KTRef, cfg.FourierScale = c[3], c[4], c[5], c[6], c[10]
	for i, v := range ht.Data {
		w, err := asInt(fmt.Sprintf("Hidden[%d]", i), v)
		if err != nil {
			return nil, err
		}
		cfg.Hidden = append(cfg.Hidden, w)
	}
	if len(cfg.Hidden) == 0 {
		return nil, fmt.Errorf("diffusion: FromTensors: %q is empty", tagHidden)
	}
	if err := storedSizes(cfg, ts); err != nil {
		return nil, err
	}
	p, err := New(cfg, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, fmt.Errorf("diffusion: FromTensors: stored configuration: %w", err)
	}
	if cfg.Embedding == Fourier {
		for _, w := range []struct {
			name string
			dst  []float64
		}{{tagEmbStep, p.emb.wStep}, {tagEmbTemp, p.emb.wTemp}} {
			t, ok := byName[w.name]
			if !ok || len(t.Data) != len(w.dst) {
				return nil, fmt.Errorf("diffusion: FromTensors: tensor %q missing or not %d values", w.name, len(w.dst))
			}
			copy(w.dst, t.Data)
		}
	}
	if err := copyParams("FromTensors", p.params, byName); err != nil {
		return nil, err
	}
	return p, nil
}

// maxStoredSteps bounds the diffusion steps a stored configuration may
// claim (the reference uses 100): the schedule is not stored, so its size
// cannot be checked against the file.
const maxStoredSteps = 1 << 20

// storedSizes refuses, before anything is allocated, a stored configuration
// whose network needs more weights than ts holds values (a corrupt or
// hostile file could otherwise claim layers 2³⁰ wide), or more than
// maxStoredSteps steps. New would panic or exhaust memory on such claims.
func storedSizes(cfg Config, ts []ad.Tensor) error {
	if cfg.Steps > maxStoredSteps {
		return fmt.Errorf("diffusion: FromTensors: Steps = %d, more than %d", cfg.Steps, maxStoredSteps)
	}
	have := 0
	for _, t := range ts {
		have += len(t.Data)
	}
	// Lower bounds of the parameter count: W (out×in) of every layer and,
	// for the Fourier embedding, its 2·FourierDim-wide P and the stored
	// frequencies. Each factor is below 2³¹ (asInt), so nothing overflows
	// before need exceeds have.
	need, e2 := 0, 0
	if cfg.Embedding == Fourier {
		need, e2 = max(cfg.FourierDim, 0), max(cfg.FourierDim, 0)
		if cfg.Coupling.embedsTemp() {
			e2 *= 2
		}
	}
	if cfg.InputFrequencies > maxInputFrequencies {
		return fmt.Errorf("diffusion: FromTensors: InputFrequencies = %d, more than %d", cfg.InputFrequencies, maxInputFrequencies)
	}
	in := max(cfg.Dim, 1) * (1 + 2*max(cfg.InputFrequencies, 0))
	for k := range len(cfg.Hidden) + 1 {
		w, p := max(cfg.Dim, 1), 0
		if k < len(cfg.Hidden) {
			w, p = max(cfg.Hidden[k], 0), e2
		}
		if need += w * (in + p); need > have {
			return fmt.Errorf("diffusion: FromTensors: the stored configuration (Dim %d, Hidden %v, FourierDim %d) needs more parameters than the %d values stored",
				cfg.Dim, cfg.Hidden, cfg.FourierDim, have)
		}
		in = w
	}
	return nil
}

// LoadWeights reads the network parameters of a file written by Save into
// p, whose configuration must match the file's: a missing tensor or a shape
// mismatch is an error naming the tensor and both shapes, and p is left
// unchanged on any error.
func (p *Prior) LoadWeights(path string) error {
	ts, err := ad.LoadTensors(path)
	if err != nil {
		return err
	}
	byName := make(map[string]ad.Tensor, len(ts))
	for _, t := range ts {
		byName[t.Name] = t
	}
	for _, want := range p.extraTensors() {
		got, ok := byName[want.Name]
		if !ok {
			return fmt.Errorf("diffusion: LoadWeights %s: tensor %q missing", path, want.Name)
		}
		if got.Rows != want.Rows || got.Cols != want.Cols {
			return fmt.Errorf("diffusion: LoadWeights %s: tensor %q is %d×%d in the file but %d×%d in the prior",
				path, want.Name, got.Rows, got.Cols, want.Rows, want.Cols)
		}
		if want.Name == tagConfig || want.Name == tagHidden {
			for i, v := range want.Data {
				if got.Data[i] != v {
					return fmt.Errorf("diffusion: LoadWeights %s: %s[%d] = %g in the file but %g in the prior",
						path, want.Name, i, got.Data[i], v)
				}
			}
		}
	}
	if err := copyParams("LoadWeights "+path, p.params, byName); err != nil {
		return err
	}
	if p.cfg.Embedding == Fourier {
		copy(p.emb.wStep, byName[tagEmbStep].Data)
		copy(p.emb.wTemp, byName[tagEmbTemp].Data)
	}
	return nil
}

// copyParams checks every parameter against the file's tensors and then
// copies them; nothing is modified unless all match.
func copyParams(where string, ps []*ad.Param, byName map[string]ad.Tensor) error {
	for _, q := range ps {
		t, ok := byName[q.Name]
		if !ok {
			return fmt.Errorf("diffusion: %s: parameter %q (%d×%d) missing", where, q.Name, q.Rows, q.Cols)
		}
		if t.Rows != q.Rows || t.Cols != q.Cols {
			return fmt.Errorf("diffusion: %s: parameter %q is %d×%d in the file but %d×%d in the prior",
				where, q.Name, t.Rows, t.Cols, q.Rows, q.Cols)
		}
	}
	for _, q := range ps {
		copy(q.Data, byName[q.Name].Data)
	}
	return nil
}
