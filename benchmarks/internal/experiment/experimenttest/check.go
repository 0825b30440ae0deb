// Package experimenttest holds the checks the benchmark programs' integration
// tests share: a results folder is complete and every metric is finite.
package experimenttest

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// Metrics is the part of metrics.json the checks read.
type Metrics struct {
	System  string `json:"system"`
	Summary []struct {
		Experiment string    `json:"experiment"`
		KT         float64   `json:"kT"`
		MethodKey  string    `json:"method_key"`
		Metric     string    `json:"metric"`
		Mean, SD   float64   `json:"-"`
		Values     []float64 `json:"values"`
	} `json:"summary"`
	PerSeed []struct {
		Seed uint64 `json:"seed"`
		Rows []struct {
			Experiment string                `json:"experiment"`
			KT         float64               `json:"kT"`
			MethodKey  string                `json:"method_key"`
			Metrics    map[string]float64    `json:"metrics"`
			CI         map[string][2]float64 `json:"ci95"`
			PopMD      []float64             `json:"populations_md"`
			PopGen     []float64             `json:"populations_predicted"`
		} `json:"rows"`
		Scan []struct {
			Experiment string  `json:"experiment"`
			KT         float64 `json:"kT"`
			MethodKey  string  `json:"method_key"`
			SymKL      float64 `json:"sym_kl_exact_n"`
			ESS        float64 `json:"ess"`
		} `json:"overlap_scan"`
	} `json:"per_seed"`
}

// CheckFolder checks that dir holds report.md, metrics.json and every figure
// the report links to (non-empty PNGs), that every method has a row at every
// temperature of every experiment in metrics.json, that the required metrics
// are present with a 95 % interval that contains them, every metric is
// finite, populations sum to 1, and the summary holds one value per seed
// (checkSummary).
// It returns the parsed metrics.
func CheckFolder(t testing.TB, dir string, methods []string, required []string, temps map[string][]float64) *Metrics {
	t.Helper()
	rep, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`\(figures/([^)]+\.png)\)`).FindAllStringSubmatch(string(rep), -1)
	if len(links) == 0 {
		t.Errorf("report.md links no figure")
	}
	for _, l := range links {
		fi, err := os.Stat(filepath.Join(dir, "figures", l[1]))
		if err != nil {
			t.Errorf("figure %s: %v", l[1], err)
		} else if fi.Size() < 1000 {
			t.Errorf("figure %s has only %d bytes", l[1], fi.Size())
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m Metrics
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("metrics.json: %v", err)
	}
	if len(m.PerSeed) == 0 {
		t.Fatal("metrics.json has no per-seed results")
	}
	for _, s := range m.PerSeed {
		seen := map[string]bool{}
		for _, r := range s.Rows {
			seen[r.Experiment+"/"+r.MethodKey+"/"+ftoa(r.KT)] = true
			for _, k := range required {
				v, ok := r.Metrics[k]
				if !ok {
					t.Errorf("seed %d %s %s kT %v: metric %s missing", s.Seed, r.Experiment, r.MethodKey, r.KT, k)
				}
				if ci, ok := r.CI[k]; !ok || !(ci[0] <= v && v <= ci[1]) {
					t.Errorf("seed %d %s %s kT %v: metric %s = %v, interval %v (present %v), want one containing it", s.Seed, r.Experiment, r.MethodKey, r.KT, k, v, ci, ok)
				}
			}
			for k, v := range r.Metrics {
				if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					t.Errorf("seed %d %s %s kT %v: %s = %v, want finite ≥ 0", s.Seed, r.Experiment, r.MethodKey, r.KT, k, v)
				}
			}
			for _, p := range [][]float64{r.PopMD, r.PopGen} {
				sum := 0.0
				for _, v := range p {
					sum += v
				}
				if math.Abs(sum-1) > 1e-9 {
					t.Errorf("seed %d %s %s kT %v: populations sum to %v", s.Seed, r.Experiment, r.MethodKey, r.KT, sum)
				}
			}
		}
		for exp, ts := range temps {
			for _, meth := range methods {
				for _, kT := range ts {
					if !seen[exp+"/"+meth+"/"+ftoa(kT)] {
						t.Errorf("seed %d: no row for %s %s kT %v", s.Seed, exp, meth, kT)
					}
				}
			}
		}
	}
	checkSummary(t, &m)
	return &m
}

// checkSummary checks that every summary entry is finite and holds one value
// per seed, except where a seed's row lacks the metric. Only the reference
// variant of the symmetrised KL may be missing, and only where it is
// undefined: every predicted point fell outside the encoded MD's range
// (outside = 1).
func checkSummary(t testing.TB, m *Metrics) {
	t.Helper()
	for _, s := range m.Summary {
		for _, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("summary %s %s kT %v %s: value %v", s.Experiment, s.MethodKey, s.KT, s.Metric, v)
			}
		}
		present := 0
		for _, seed := range m.PerSeed {
			for _, r := range seed.Rows {
				if r.Experiment != s.Experiment || r.MethodKey != s.MethodKey || r.KT != s.KT {
					continue
				}
				if _, ok := r.Metrics[s.Metric]; ok {
					present++
				} else if s.Metric != "sym_kl_md_refvariant" || r.Metrics["outside"] < 1 {
					t.Errorf("seed %d %s %s kT %v: %s missing (outside = %v)", seed.Seed, s.Experiment, s.MethodKey, s.KT, s.Metric, r.Metrics["outside"])
				}
			}
		}
		if len(s.Values) != present {
			t.Errorf("summary %s %s kT %v %s: %d values for %d seeds that have the metric", s.Experiment, s.MethodKey, s.KT, s.Metric, len(s.Values), present)
		}
	}
}

func ftoa(x float64) string { b, _ := json.Marshal(x); return string(b) }
