package traj

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dspib/dspib"
	"github.com/dspib/dspib/internal/atomicfile"
)

// Metadata describes a run and is written as JSON beside its .npy files,
// so that every number in them can be traced to its settings. Units are
// the reduced units of the package: kT in ε, times in τ, γ in 1/τ.
type Metadata struct {
	// System names the model, e.g. "three-hole" or "lj7-2d".
	System string `json:"system"`
	// Potential holds the potential's parameters as the potentials
	// package marshals them (any JSON value; not checked here).
	Potential json.RawMessage `json:"potential,omitempty"`
	// Temperatures are the kT values [ε] of the replicas, in replica order.
	Temperatures []float64 `json:"temperatures"`
	// Integrator records the integrator and its settings.
	Integrator IntegratorInfo `json:"integrator"`
	// Seeds are the RNG seeds, one per replica in the order of
	// Temperatures (or as the run documents in Extra).
	Seeds []uint64 `json:"seeds"`
	// Stride is the number of MD steps between stored frames.
	Stride int `json:"stride"`
	// Steps is the number of MD steps run per replica.
	Steps int64 `json:"steps"`
	// Frames is the number of frames stored per replica.
	Frames int64 `json:"frames"`
	// Files maps a role ("traj_T0.5", "features", "labels", ...) to a path
	// relative to the metadata file's directory.
	Files map[string]string `json:"files,omitempty"`
	// Version is the dspib package version that wrote the run.
	Version string `json:"version"`
	// Created is when the run started (UTC).
	Created time.Time `json:"created"`
	// Extra holds anything else worth recording.
	Extra map[string]any `json:"extra,omitempty"`
}

// IntegratorInfo records the integrator of a run.
type IntegratorInfo struct {
	// Name is the scheme, e.g. "BAOAB", "overdamped", "MALA", "verlet".
	Name string `json:"name"`
	// Dt is the time step [τ].
	Dt float64 `json:"dt"`
	// Gamma is the friction coefficient [1/τ] (0 for NVE).
	Gamma float64 `json:"gamma"`
	// Mass is the particle mass [m].
	Mass float64 `json:"mass,omitempty"`
	// Params holds further scheme-specific settings.
	Params map[string]float64 `json:"params,omitempty"`
}

// NewMetadata returns Metadata for system with Version set to
// dspib.Version and Created to the current UTC time (to the second).
func NewMetadata(system string) *Metadata {
	return &Metadata{System: system, Version: dspib.Version, Created: time.Now().UTC().Truncate(time.Second)}
}

// WriteJSON writes v to path as indented JSON followed by a newline,
// atomically (path+".part", then rename).
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("traj: WriteJSON %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// ReadMetadata reads a metadata file written by WriteJSON. Unknown fields
// (a typo, or a file from a different program) and trailing data are
// errors naming the file, as are syntax errors (with their byte offset).
func ReadMetadata(path string) (*Metadata, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("traj: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Metadata
	if err := dec.Decode(&m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("traj: metadata %s: byte %d: %w", path, se.Offset, err)
		}
		return nil, fmt.Errorf("traj: metadata %s: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("traj: metadata %s: unexpected data after the JSON object", path)
	}
	return &m, nil
}
