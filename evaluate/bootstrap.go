package evaluate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"

	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/internal/par"
	"github.com/dspib/dspib/internal/stream"
	"github.com/dspib/dspib/md/traj"
)

// Bootstrap confidence intervals (docs/evaluation.md §5).
//
// Every metric of every row gets a 95 % interval from B bootstrap
// replicates (Config.Bootstrap, default DefaultBootstrap). One replicate
// resamples the prediction and the encoded-MD reference and recomputes the
// metrics as Compare does (the free-energy profiles through a binned KDE,
// the histogram KLs on resamples smoothed by Scott's bandwidth: see
// rowPlan.replicate):
//
//   - generated latents are iid: an ordinary bootstrap (blocks of 1);
//   - MD sets (the reference, the nearest-temperature and noise-floor
//     baselines, reweighted MD) are time series even after thinning: a
//     circular block bootstrap (Politis & Romano 1992) with block length
//     L = ⌈5 τ_int⌉, τ_int the integrated autocorrelation time of the set's
//     latent series (the larger of z1's and z2's, IntAutocorrTime), capped
//     so that a series has at least 10 blocks. For an AR(1) series a block
//     of 5 τ_int keeps ≈ 90 % of the variance of a mean (the missing part is
//     ≈ τ_int/(2L)), so the 95 % intervals cover ≈ 93–94 %;
//   - a weighted prediction (Boltzmann-reweighted MD) resamples frames with
//     their weights, blocks within each training temperature's series;
//   - the exact reference is not resampled (it has no sampling noise).
//
// The reference resample of replicate b at (encoder, kT) is the same for
// every method in that latent space (its stream is named by encoder and kT
// only), so the difference of two methods' metrics is PAIRED: DiffInterval
// gives its interval, narrower than what the overlap of the two intervals
// suggests. Methods of different encoders get independent reference
// resamples; the interval of their difference is then unpaired, and wider.
//
// The interval is the percentile interval re-centred on the estimate:
// [θ̂ − (m* − q*_{2.5 %}), θ̂ + (q*_{97.5 %} − m*)], q* the quantiles and m*
// the median of the replicates (Interval). Even smoothed, the replicates of
// the plug-in histogram KL sit a little above the estimate (≈ 3 % at
// n = 10⁴, 100² bins); the re-centred interval keeps the bootstrap's spread
// around the value the report shows. For a statistic whose bootstrap
// distribution is centred on the estimate (a mean) it is the plain
// percentile interval. Every metric is non-negative, so a metric's lower
// bound is clamped at 0 (a difference's is not).

// DefaultBootstrap is the default number of bootstrap replicates.
const DefaultBootstrap = 200

// CILevel is the coverage of the reported intervals.
const CILevel = 0.95

// blockTaus is the block length of the MD block bootstrap in integrated
// autocorrelation times; minBlocks is the fewest blocks a series is cut
// into.
const (
	blockTaus = 5
	minBlocks = 10
)

// sokalC is the window constant of IntAutocorrTime (Sokal 1997: the
// smallest W with W ≥ c τ(W), c ≈ 5 for nearly exponential decays).
const sokalC = 5

// IntAutocorrTime returns the integrated autocorrelation time
// τ_int = 1 + 2 Σ_{t=1}^{W} ρ(t) [rows of x] of the series x, with ρ the
// normalised autocovariance (sum divided by n) and Sokal's self-consistent
// window W, the smallest with W ≥ 5 τ(W) (Madras & Sokal, J. Stat. Phys. 50,
// 109 (1988); Sokal, in Functional Integration (1997)). It is ≈ 1 for an
// uncorrelated series and (1+φ)/(1−φ) for an AR(1) with coefficient φ; the
// variance of a mean of n rows is τ_int σ²/n. Fewer than 3 rows or a
// constant series give 1.
func IntAutocorrTime(x []float64) float64 {
	n := len(x)
	if n < 3 {
		return 1
	}
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(n)
	c0 := 0.0
	for _, v := range x {
		c0 += (v - m) * (v - m)
	}
	if c0 == 0 {
		return 1
	}
	tau := 1.0
	for w := 1; w < n/2; w++ {
		c := 0.0
		for i := 0; i+w < n; i++ {
			c += (x[i] - m) * (x[i+w] - m)
		}
		tau += 2 * c / c0
		if float64(w) >= sokalC*tau {
			break
		}
	}
	return tau
}

// latentTau returns the larger integrated autocorrelation time of the two
// coordinates of the 2-D series z (n×2), within each segment (rows of one
// time series; nil: one series), the segments weighted by length.
func latentTau(z []float64, segs []int) float64 {
	if segs == nil {
		segs = []int{len(z) / 2}
	}
	worst := 1.0
	for k := range 2 {
		tau, off, tot := 0.0, 0, 0
		for _, m := range segs {
			col := make([]float64, m)
			for i := range col {
				col[i] = z[2*(off+i)+k]
			}
			tau += float64(m) * IntAutocorrTime(col)
			off += m
			tot += m
		}
		if tot > 0 {
			worst = max(worst, tau/float64(tot))
		}
	}
	return worst
}

// BlockLength returns the block length [rows] of the circular block
// bootstrap of a series of n rows with integrated autocorrelation time tau:
// ⌈5 tau⌉, at most n/10 (at least 10 blocks), at least 1.
func BlockLength(n int, tau float64) int {
	l := int(math.Ceil(blockTaus * tau))
	l = min(l, n/minBlocks)
	return max(l, 1)
}

// blockResample writes into dst (len = Σ segs) the row indices of one
// circular block bootstrap resample: within each segment of m rows, blocks of
// L consecutive rows (wrapping around the segment's end) starting at uniform
// rows, until m rows are drawn. L = 1 is the ordinary bootstrap.
func blockResample(dst []int, segs []int, l int, rng *rand.Rand) {
	off := 0
	for _, m := range segs {
		for k := 0; k < m; {
			s := rng.IntN(m)
			for j := 0; j < l && k < m; j++ {
				dst[off+k] = off + (s+j)%m
				k++
			}
		}
		off += m
	}
}

// quantile returns the q-quantile of sorted (linear interpolation between
// order statistics, type 7 of Hyndman & Fan 1996).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	h := q * float64(len(sorted)-1)
	i := int(math.Floor(h))
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-float64(i))*(sorted[i+1]-sorted[i])
}

// Interval returns the 95 % bootstrap interval of the estimate est from its
// replicates: the percentile interval re-centred on est (see the package's
// bootstrap notes), [est − (median − q_{2.5 %}), est + (q_{97.5 %} − median)].
// NaN replicates (a metric undefined on that resample) are skipped; with
// fewer than 90 % of them finite, or a non-finite est, ok is false.
func Interval(est float64, reps []float64) (lo, hi float64, ok bool) {
	if math.IsNaN(est) || math.IsInf(est, 0) || len(reps) == 0 {
		return 0, 0, false
	}
	s := make([]float64, 0, len(reps))
	for _, v := range reps {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			s = append(s, v)
		}
	}
	if len(s) < 2 || float64(len(s)) < 0.9*float64(len(reps)) {
		return 0, 0, false
	}
	slices.Sort(s)
	a := (1 - CILevel) / 2
	med := quantile(s, 0.5)
	return est - (med - quantile(s, a)), est + (quantile(s, 1-a) - med), true
}

// Difference is the paired comparison of one metric of two rows.
type Difference struct {
	// D is the difference of the estimates, a − b; [Lo, Hi] its 95 % interval.
	D, Lo, Hi float64
	// Paired: both rows share the reference resamples (same encoder and
	// kT, a metric against MD); otherwise the replicates are independent.
	Paired bool
}

// Sign is −1 if the interval lies below 0, +1 above, 0 if it contains 0.
func (d Difference) Sign() int {
	switch {
	case d.Hi < 0:
		return -1
	case d.Lo > 0:
		return 1
	}
	return 0
}

// DiffInterval returns the difference a − b of metric between two rows of
// one run (same replicate count) with its bootstrap interval, or ok = false
// if either row lacks the metric or its replicates.
func DiffInterval(a, b *Row, metric string) (Difference, bool) {
	ra, rb := a.Boot[metric], b.Boot[metric]
	va, oka := a.Metrics[metric]
	vb, okb := b.Metrics[metric]
	if !oka || !okb || len(ra) == 0 || len(ra) != len(rb) {
		return Difference{}, false
	}
	d := make([]float64, len(ra))
	for i := range d {
		d[i] = ra[i] - rb[i]
	}
	lo, hi, ok := Interval(va-vb, d)
	// The exact reference is not resampled: nothing is shared.
	paired := a.Encoder == b.Encoder && a.KT == b.KT && !strings.HasPrefix(metric, "sym_kl_exact")
	return Difference{D: va - vb, Lo: lo, Hi: hi, Paired: paired}, ok
}

// profiler evaluates the Gaussian KDE of Profile on its fixed grid quickly
// for many resamples: the points are linearly binned onto a fine grid of
// spacing δ = h/10 spanning the grid ± (8h + δ), and the
// fine counts convolved with the kernel (Wand & Jones, Kernel Smoothing
// (1995) §D; relative error O((δ/h)²) ≲ 10⁻³, i.e. ≲ 10⁻³ kT in F).
// Points beyond the fine grid are more than 8h from every grid point and are
// counted only in the normalisation, as analysis.KDE1D truncates at 8h.
type profiler struct {
	k           int // latent coordinate
	grid        []float64
	lo, delta   float64
	nFine       int
	first       []int       // per grid point, the first fine node in reach
	kern        [][]float64 // per grid point, the kernel over its fine nodes
	fineScratch []float64
}

// newProfiler returns the profiler of coordinate k on the grid Profile uses
// for the reference ref with bandwidth h.
func newProfiler(ref []float64, k int, h float64) *profiler {
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := k; i < len(ref); i += 2 {
		lo, hi = min(lo, ref[i]), max(hi, ref[i])
	}
	lo, hi = lo-3*h, hi+3*h
	p := &profiler{k: k, grid: make([]float64, profileGrid)}
	for i := range p.grid {
		p.grid[i] = lo + (hi-lo)*float64(i)/float64(profileGrid-1)
	}
	p.delta = h / 10
	reach := 8*h + p.delta
	p.lo = lo - reach
	p.nFine = int(math.Ceil((hi+reach-p.lo)/p.delta)) + 2
	norm := 1 / (h * math.Sqrt(2*math.Pi))
	for _, g := range p.grid {
		a := max(0, int(math.Floor((g-8*h-p.lo)/p.delta)))
		b := min(p.nFine-1, int(math.Ceil((g+8*h-p.lo)/p.delta)))
		kv := make([]float64, b-a+1)
		for j := range kv {
			u := (g - (p.lo + float64(a+j)*p.delta)) / h
			kv[j] = norm * math.Exp(-u*u/2)
		}
		p.first = append(p.first, a)
		p.kern = append(p.kern, kv)
	}
	return p
}

// density writes the KDE of coordinate p.k of the rows idx of the 2-D
// points z (weights w, nil: unit; rows with keep[i] false skipped) at
// p.grid into dst, using fine as scratch (len p.nFine).
func (p *profiler) density(dst, fine, z, w []float64, keep []bool, idx []int) {
	clear(fine)
	total := 0.0
	for _, i := range idx {
		if keep != nil && !keep[i] {
			continue
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		total += wi
		u := (z[2*i+p.k] - p.lo) / p.delta
		if !(u >= 0) || u >= float64(p.nFine-1) {
			continue
		}
		j := int(u)
		f := u - float64(j)
		fine[j] += wi * (1 - f)
		fine[j+1] += wi * f
	}
	for g := range dst {
		s := 0.0
		for j, kv := range p.kern[g] {
			s += kv * fine[p.first[g]+j]
		}
		dst[g] = s / total
	}
}

// sample is a latent set prepared for resampling: points, weights (nil:
// unit), state labels under the encoder, and its time-series structure.
type sample struct {
	z, w   []float64
	labels []int
	segs   []int // rows of each consecutive time series
	block  int   // block length (1: iid)
	tau    float64
}

// newSample prepares z (weights w) for resampling: series says it is MD
// (segs: rows of each run; nil: one), else iid.
func newSample(z, w []float64, labels []int, series bool, segs []int) *sample {
	n := len(z) / 2
	s := &sample{z: z, w: w, labels: labels, segs: segs, block: 1, tau: 1}
	if s.segs == nil {
		s.segs = []int{n}
	}
	if series {
		s.tau = latentTau(z, s.segs)
		s.block = BlockLength(slices.Min(s.segs), s.tau)
	}
	return s
}

// draw writes the row indices of one resample of s, drawn with rng, into
// dst (len = rows of s).
func (s *sample) draw(dst []int, rng *rand.Rand) { blockResample(dst, s.segs, s.block, rng) }

// klKind is one histogram KL of Compare.
type klKind int

const (
	klCommon     klKind = iota // SymKL: common edges of prediction and reference
	klRefVariant               // SymKLReference: the reference's edges only
	klExact                    // SymKL against the (fixed, weighted) exact reference
)

// histUniform adds the weights of the 2-D points z (w nil: unit; rows with
// keep false skipped) to h on the equally spaced edges xe, ye, as
// analysis.Histogram2D bins (the last edge included, points outside
// dropped), recording first touches in sc; it returns the weight binned.
func histUniform(h []float64, z, w []float64, keep []bool, xe, ye []float64, sc *scratch) float64 {
	nx, ny := len(xe)-1, len(ye)-1
	x0, y0 := xe[0], ye[0]
	ix, iy := float64(nx)/(xe[nx]-x0), float64(ny)/(ye[ny]-y0)
	tot := 0.0
	for i := 0; i < len(z)/2; i++ {
		if keep != nil && !keep[i] {
			continue
		}
		x, y := z[2*i], z[2*i+1]
		if !(x >= x0 && x <= xe[nx] && y >= y0 && y <= ye[ny]) {
			continue
		}
		bx, by := min(int((x-x0)*ix), nx-1), min(int((y-y0)*iy), ny-1)
		b := bx*ny + by
		if !sc.mark[b] {
			sc.mark[b] = true
			sc.occ = append(sc.occ, b)
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		h[b] += wi
		tot += wi
	}
	return tot
}

// symKL returns the symmetrised KL of the histograms sc.p (total sp) and
// sc.q (total sq) on nb bins as analysis.SymKLHist computes it (ε added to
// every bin, renormalised), NaN if one is empty, and clears them. Bins empty
// in both contribute exactly 0 there, so only the occupied ones are visited.
func symKL(sc *scratch, sp, sq float64, nb int) float64 {
	v := math.NaN()
	if sp > 0 && sq > 0 {
		eps := analysis.DefaultKLEps
		t := 1 + eps*float64(nb)
		s := 0.0
		for _, b := range sc.occ {
			pi := (sc.p[b]/sp + eps) / t
			qi := (sc.q[b]/sq + eps) / t
			if pi != qi {
				s += (pi - qi) * (math.Log(pi) - math.Log(qi))
			}
		}
		v = 0.5 * s
	}
	for _, b := range sc.occ {
		sc.p[b], sc.q[b], sc.mark[b] = 0, 0, false
	}
	sc.occ = sc.occ[:0]
	return v
}

// jittered writes the rows idx of the 2-D points z, each coordinate k moved
// by N(0, h_k²) noise from rng, into dst.
func jittered(dst, z []float64, idx []int, h [2]float64, rng *rand.Rand) {
	for j, i := range idx {
		dst[2*j] = z[2*i] + h[0]*rng.NormFloat64()
		dst[2*j+1] = z[2*i+1] + h[1]*rng.NormFloat64()
	}
}

// scottJitter returns the smoothing of the KL replicates per coordinate:
// Scott's rule for a 2-D density, σ_k n^{−1/6} (Scott, Multivariate Density
// Estimation (1992) §6.3), from the reference's standard deviations σ_k.
func scottJitter(ref []float64) [2]float64 {
	n := len(ref) / 2
	var h [2]float64
	for k := range 2 {
		m, s := 0.0, 0.0
		for i := k; i < len(ref); i += 2 {
			m += ref[i]
		}
		m /= float64(n)
		for i := k; i < len(ref); i += 2 {
			s += (ref[i] - m) * (ref[i] - m)
		}
		h[k] = math.Sqrt(s/float64(max(n-1, 1))) * math.Pow(float64(n), -1.0/6)
	}
	return h
}

// box is the bounding box of 2-D points: lo and hi per coordinate; emptyBox
// contains nothing.
type box struct{ lo, hi [2]float64 }

func emptyBox() box {
	return box{lo: [2]float64{math.Inf(1), math.Inf(1)}, hi: [2]float64{math.Inf(-1), math.Inf(-1)}}
}

// add widens b to the rows of the 2-D points z (rows with keep false
// skipped; keep nil: all). The points are finite (checked when the sets
// entered Run; the smoothing adds finite noise).
func (b *box) add(z []float64, keep []bool) {
	for i := 0; i < len(z)/2; i++ {
		if keep != nil && !keep[i] {
			continue
		}
		for k := range 2 {
			b.lo[k] = min(b.lo[k], z[2*i+k])
			b.hi[k] = max(b.hi[k], z[2*i+k])
		}
	}
}

// outside reports whether the point (x, y) lies outside b.
func (b box) outside(x, y float64) bool {
	return x < b.lo[0] || x > b.hi[0] || y < b.lo[1] || y > b.hi[1]
}

// union returns the box of both.
func (b box) union(c box) box {
	return box{lo: [2]float64{min(b.lo[0], c.lo[0]), min(b.lo[1], c.lo[1])},
		hi: [2]float64{max(b.hi[0], c.hi[0]), max(b.hi[1], c.hi[1])}}
}

// edges returns bins equally spaced bins per axis over b, as
// analysis.CommonEdges2D takes them from the points b bounds (a flat axis
// widened by ±0.5), without passing over the points again.
func (b box) edges(bins int) (xe, ye []float64, err error) {
	if b.lo[0] > b.hi[0] {
		return nil, nil, fmt.Errorf("evaluate: no points to span")
	}
	var out [2][]float64
	for k := range 2 {
		l, h := b.lo[k], b.hi[k]
		if l == h {
			l, h = l-0.5, h+0.5
		}
		if out[k], err = analysis.Edges(l, h, bins); err != nil {
			return nil, nil, err
		}
	}
	return out[0], out[1], nil
}

// refPlan is the reference of one latent space (one encoder at one kT) for
// the bootstrap: the sample, its bounding box, its profilers and the KL
// smoothing (Scott's bandwidth from the reference, used for the predictions
// compared with it too).
type refPlan struct {
	ref       *sample
	box       box
	prof      [2]*profiler
	jitter    [2]float64
	numStates int
	bins      int
}

func newRefPlan(ref *sample, prof [2]*profiler, numStates int, cfg Config) *refPlan {
	rf := &refPlan{ref: ref, box: emptyBox(), prof: prof, jitter: scottJitter(ref.z), numStates: numStates, bins: cfg.KLBins}
	rf.box.add(ref.z, nil)
	return rf
}

// refDraw is one replicate of a reference, computed once and shared by
// every row compared against it (the reference is the same for all methods
// of one latent space, so recomputing it per row would repeat the same
// work): the resampled rows, their smoothed copy and its bounding box, the
// edges of the reference-variant KL (that box alone), the profile densities
// of the plain resample and the state populations.
type refDraw struct {
	ri     []int
	rz     []float64
	box    box
	xe, ye []float64
	pr     [2][]float64
	fine   []float64
	pop    []float64
}

func (rf *refPlan) newDraw() *refDraw {
	n := len(rf.ref.labels)
	return &refDraw{ri: make([]int, n), rz: make([]float64, 2*n),
		pr:   [2][]float64{make([]float64, profileGrid), make([]float64, profileGrid)},
		fine: make([]float64, max(rf.prof[0].nFine, rf.prof[1].nFine)), pop: make([]float64, rf.numStates)}
}

// fill draws replicate rd: the resample from rngDraw, then prepare.
func (rf *refPlan) fill(rd *refDraw, rngDraw, rngSmooth *rand.Rand) error {
	rf.ref.draw(rd.ri, rngDraw)
	return rf.prepare(rd, rngSmooth)
}

// prepare computes everything of replicate rd but the resample rd.ri:
// the smoothing noise comes from rngSmooth.
func (rf *refPlan) prepare(rd *refDraw, rngSmooth *rand.Rand) error {
	jittered(rd.rz, rf.ref.z, rd.ri, rf.jitter, rngSmooth)
	rd.box = emptyBox()
	rd.box.add(rd.rz, nil)
	var err error
	if rd.xe, rd.ye, err = rd.box.edges(rf.bins); err != nil {
		return err
	}
	for k, p := range rf.prof {
		p.density(rd.pr[k], rd.fine[:p.nFine], rf.ref.z, nil, nil, rd.ri)
	}
	clear(rd.pop)
	for _, i := range rd.ri {
		rd.pop[rf.ref.labels[i]]++
	}
	for k := range rd.pop {
		rd.pop[k] /= float64(len(rd.ri))
	}
	return nil
}

// rowPlan is everything a replicate of one row needs beyond its reference,
// fixed from the full sets: the prediction, which predicted points are kept
// (weights above e^{−ExactCut} of the largest, as Compare), which lie
// outside the reference's box, and the exact reference and its box.
type rowPlan struct {
	gen       *sample
	ref       *refPlan
	keep, out []bool
	ex        *Weighted
	exBox     box
	cfg       Config
}

func newRowPlan(gen *sample, ref *refPlan, ex *Weighted, cfg Config) *rowPlan {
	rp := &rowPlan{gen: gen, ref: ref, ex: ex, cfg: cfg}
	if gen.w != nil {
		rp.keep = make([]bool, len(gen.w))
		cut := slices.Max(gen.w) * math.Exp(-ExactCut)
		for i, v := range gen.w {
			rp.keep[i] = v > cut
		}
	}
	if ex != nil {
		rp.exBox = emptyBox()
		rp.exBox.add(ex.Z, nil)
	}
	rp.out = make([]bool, len(gen.z)/2)
	for i := range rp.out {
		rp.out[i] = ref.box.outside(gen.z[2*i], gen.z[2*i+1])
	}
	return rp
}

// scratch holds one worker's buffers for one row.
type scratch struct {
	gi         []int
	gz, gw     []float64 // the jittered resample and the prediction's weights
	gk         []bool    // and which of its rows are kept
	p, q, pg   []float64 // p, q: KL histograms, kept zero between uses
	mark       []bool    // bins touched in p or q
	occ        []int
	fine, popG []float64
}

func (rp *rowPlan) newScratch() *scratch {
	nb := rp.cfg.KLBins * rp.cfg.KLBins
	nf := max(rp.ref.prof[0].nFine, rp.ref.prof[1].nFine)
	ng := len(rp.gen.labels)
	return &scratch{gi: make([]int, ng), gz: make([]float64, 2*ng), gw: make([]float64, ng), gk: make([]bool, ng),
		p: make([]float64, nb), q: make([]float64, nb), mark: make([]bool, nb), pg: make([]float64, profileGrid),
		fine: make([]float64, nf), popG: make([]float64, rp.ref.numStates)}
}

// klReplicate returns the histogram KL of kind on the jittered resamples in
// sc and rd, with edges from them as Compare takes them from the full sets
// (gb: the box of the prediction's kept rows).
func (rp *rowPlan) klReplicate(kind klKind, sc *scratch, rd *refDraw, gb box) (float64, error) {
	var gw []float64
	if rp.gen.w != nil {
		gw = sc.gw
	}
	var gk []bool
	if rp.keep != nil {
		gk = sc.gk
	}
	bins := rp.cfg.KLBins
	xe, ye := rd.xe, rd.ye // klRefVariant: the reference's own box
	var err error
	switch kind {
	case klCommon:
		xe, ye, err = gb.union(rd.box).edges(bins)
	case klExact:
		xe, ye, err = gb.union(rp.exBox).edges(bins)
	}
	if err != nil {
		return 0, err
	}
	sp := histUniform(sc.p, sc.gz, gw, gk, xe, ye, sc)
	var sq float64
	if kind == klExact {
		sq = histUniform(sc.q, rp.ex.Z, rp.ex.W, nil, xe, ye, sc)
	} else {
		sq = histUniform(sc.q, rd.rz, nil, nil, xe, ye, sc)
	}
	return symKL(sc, sp, sq, bins*bins), nil
}

// replicate writes the metrics of Compare on the resample (rows sc.gi of
// the prediction, the reference's replicate rd) into m (NaN where
// undefined), drawing the prediction's KL smoothing from rng. The histogram
// KLs are computed on the resamples smoothed by Gaussian noise of Scott's
// bandwidth (scottJitter): a plain resample holds each frame ≈ 1.6 times
// and occupies fewer bins, and the plug-in KL, dominated by bins that only
// one set occupies, then inflates by 30–70 % and its spread comes out wrong
// (the smoothed bootstrap, Silverman & Young, Biometrika 74, 469 (1987));
// the reference's smoothing is part of rd, shared by the methods of one
// latent space like its resample. The kept points and the reference's box
// are those of the full sets, and the profiles use the binned KDE
// (profiler) on the plain resample.
func (rp *rowPlan) replicate(m map[string]float64, sc *scratch, rd *refDraw, rng *rand.Rand) error {
	g, w := rp.gen, rp.gen.w
	if w != nil {
		for j, i := range sc.gi {
			sc.gw[j] = w[i]
		}
		m["ess"] = analysis.KishESS(sc.gw)
	}
	var gk []bool
	if rp.keep != nil {
		for j, i := range sc.gi {
			sc.gk[j] = rp.keep[i]
		}
		gk = sc.gk
	}
	jittered(sc.gz, g.z, sc.gi, rp.ref.jitter, rng)
	gb := emptyBox()
	gb.add(sc.gz, gk)
	kinds := []struct {
		key  string
		kind klKind
	}{{"sym_kl_md", klCommon}, {"sym_kl_md_refvariant", klRefVariant}}
	if rp.ex != nil {
		kinds = append(kinds, struct {
			key  string
			kind klKind
		}{"sym_kl_exact", klExact})
	}
	for _, k := range kinds {
		v, err := rp.klReplicate(k.kind, sc, rd, gb)
		if err != nil {
			return err
		}
		m[k.key] = v
	}
	// Outside fraction and populations of the kept, weighted prediction.
	clear(sc.popG)
	out, tot := 0.0, 0.0
	for _, i := range sc.gi {
		if rp.keep != nil && !rp.keep[i] {
			continue
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		tot += wi
		if rp.out[i] {
			out += wi
		}
		sc.popG[g.labels[i]] += wi
	}
	m["outside"] = out / tot
	for k, p := range rp.ref.prof {
		p.density(sc.pg, sc.fine[:p.nFine], g.z, w, rp.keep, sc.gi)
		fr, fg, err := freeEnergies(rd.pr[k], sc.pg)
		if err != nil {
			return err
		}
		if m[fmt.Sprintf("fe_rmse_z%d", k+1)], _, err = analysis.FreeEnergyRMSE(fg, fr, rp.cfg.FECap); err != nil {
			return err
		}
	}
	for k := range sc.popG {
		sc.popG[k] /= tot
	}
	m["pop_tv"] = TV(sc.popG, rd.pop)
	return nil
}

// exactReplicates returns b bootstrap replicates of the symKL of the latents
// z against the fixed exact reference ex on bins per axis: z resampled
// (blocks of BlockLength rows if series, MD; else iid) and smoothed as in
// rowPlan.replicate, edges from the replicate and the exact set.
func exactReplicates(z []float64, series bool, ex *Weighted, bins, b int, seed uint64, key string, kT float64) []float64 {
	n := len(z) / 2
	s := newSample(z, nil, make([]int, n), series, nil)
	jit := scottJitter(z)
	reps := make([]float64, b)
	exBox := emptyBox()
	exBox.add(ex.Z, nil)
	workers := runtime.GOMAXPROCS(0)
	scr := make([]*scratch, workers)
	par.Chunks(b, 1, workers, func(wk, _, lo, hi int) {
		if scr[wk] == nil {
			scr[wk] = &scratch{gi: make([]int, n), gz: make([]float64, 2*n), p: make([]float64, bins*bins),
				q: make([]float64, bins*bins), mark: make([]bool, bins*bins)}
		}
		sc := scr[wk]
		for j := lo; j < hi; j++ {
			rng := stream.New(seed, "bootstrap/exact/"+key, kT, uint64(j))
			s.draw(sc.gi, rng)
			jittered(sc.gz, z, sc.gi, jit, rng)
			gb := emptyBox()
			gb.add(sc.gz, nil)
			xe, ye, err := gb.union(exBox).edges(bins)
			if err != nil {
				reps[j] = math.NaN()
				continue
			}
			sp := histUniform(sc.p, sc.gz, nil, nil, xe, ye, sc)
			sq := histUniform(sc.q, ex.Z, ex.W, nil, xe, ye, sc)
			reps[j] = symKL(sc, sp, sq, bins*bins)
		}
	})
	return reps
}

// refKey names the reference of one encoder at one kT.
type refKey struct {
	enc string
	kT  float64
}

// refGroup is one reference and the rows compared against it.
type refGroup struct {
	key   refKey
	ref   *refPlan
	rows  []*Row
	plans []*rowPlan
	keys  []string // the rows' method keys (their resample streams)
}

// bootstrap fills the replicates and intervals of every row of res (see
// the notes above): B = cfg.Bootstrap replicates, the reference resample of
// replicate b drawn from stream (seed, "bootstrap/ref/<enc>", kT, b), the
// prediction's from (seed, "bootstrap/<method>", kT, b). Replicates run in
// parallel, each reference replicate computed once for all the rows of its
// latent space; the result does not depend on the number of cores. The
// reference's τ_int and block length go into res.Info.
func bootstrap(res *Result, seed uint64, cfg Config, series map[string][]int) error {
	var groups []*refGroup
	byRef := map[refKey]*refGroup{}
	byKey := res.methodsByKey()
	for i := range res.Rows {
		r := &res.Rows[i]
		m := byKey[r.MethodKey]
		rk := refKey{r.Encoder, r.KT}
		grp := byRef[rk]
		if grp == nil {
			z := res.Ref[r.Encoder][r.KT]
			l, err := m.Enc.Classify(z)
			if err != nil {
				return err
			}
			ref := newSample(z, nil, l, true, nil)
			prof := [2]*profiler{newProfiler(z, 0, cfg.KDEBandwidth), newProfiler(z, 1, cfg.KDEBandwidth)}
			grp = &refGroup{key: rk, ref: newRefPlan(ref, prof, m.Enc.NumStates(), cfg)}
			byRef[rk] = grp
			groups = append(groups, grp)
			tag := r.Encoder + "_" + traj.TempTag(r.KT)
			res.Info["bootstrap_tau_ref_"+tag] = ref.tau
			res.Info["bootstrap_block_ref_"+tag] = float64(ref.block)
		}
		gen := res.Gen[m.Key][r.KT]
		var w []float64
		if m.Weights != nil {
			w = m.Weights[r.KT].W
		}
		gl, err := m.Enc.Classify(gen)
		if err != nil {
			return err
		}
		segs, isSeries := series[m.Key]
		if m.Weights != nil {
			segs, isSeries = m.Weights[r.KT].Segments, true
		}
		g := newSample(gen, w, gl, isSeries, segs)
		r.Block, r.TauInt = g.block, g.tau
		rp := newRowPlan(g, grp.ref, res.Exact[r.Encoder][r.KT], cfg)
		grp.rows = append(grp.rows, r)
		grp.plans = append(grp.plans, rp)
		grp.keys = append(grp.keys, m.Key)
	}
	for _, grp := range groups {
		if err := grp.run(seed, cfg.Bootstrap, byKey); err != nil {
			return err
		}
	}
	return nil
}

// run computes the b replicates of every row of grp and their intervals.
func (grp *refGroup) run(seed uint64, b int, byKey map[string]*Method) error {
	enc, kT := grp.key.enc, grp.key.kT
	boots := make([]map[string][]float64, len(grp.rows))
	for i, r := range grp.rows {
		boots[i] = map[string][]float64{}
		for k := range r.Metrics {
			boots[i][k] = make([]float64, b)
		}
	}
	errs := make([]error, b)
	workers := runtime.GOMAXPROCS(0)
	type work struct {
		rd  *refDraw
		scs []*scratch
	}
	ws := make([]*work, workers)
	par.Chunks(b, 1, workers, func(wk, _, lo, hi int) {
		if ws[wk] == nil {
			ws[wk] = &work{rd: grp.ref.newDraw(), scs: make([]*scratch, len(grp.plans))}
			for i, rp := range grp.plans {
				ws[wk].scs[i] = rp.newScratch()
			}
		}
		wsk := ws[wk]
		met := map[string]float64{}
		for j := lo; j < hi; j++ {
			if err := grp.ref.fill(wsk.rd, stream.New(seed, "bootstrap/ref/"+enc, kT, uint64(j)),
				stream.New(seed, "bootstrap/smooth-ref/"+enc, kT, uint64(j))); err != nil {
				errs[j] = fmt.Errorf("evaluate: bootstrap of the reference (encoder %s) at kT %v: %w", enc, kT, err)
				continue
			}
			for i, rp := range grp.plans {
				sc, key := wsk.scs[i], grp.keys[i]
				rp.gen.draw(sc.gi, stream.New(seed, "bootstrap/"+key, kT, uint64(j)))
				clear(met)
				if err := rp.replicate(met, sc, wsk.rd, stream.New(seed, "bootstrap/smooth/"+key, kT, uint64(j))); err != nil {
					errs[j] = fmt.Errorf("evaluate: bootstrap of %s at kT %v: %w", byKey[key].Name, kT, err)
					break
				}
				for k, v := range boots[i] {
					x, ok := met[k]
					if !ok {
						x = math.NaN()
					}
					v[j] = x
				}
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for i, r := range grp.rows {
		r.Boot, r.CI = boots[i], map[string][2]float64{}
		for k, v := range boots[i] {
			if lo, hi, ok := Interval(r.Metrics[k], v); ok {
				// Every metric is ≥ 0: re-centring can push lo below.
				r.CI[k] = [2]float64{max(lo, 0), hi}
			}
		}
	}
	return nil
}
