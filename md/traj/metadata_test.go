package traj

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/dspib/dspib"
)

func TestMetadataRoundTrip(t *testing.T) {
	m := NewMetadata("lj7-2d")
	m.Potential = json.RawMessage(`{"epsilon":1,"sigma":1,"kappa":100,"r2max":4}`)
	m.Temperatures = []float64{0.2, 0.5}
	m.Integrator = IntegratorInfo{Name: "BAOAB", Dt: 0.005, Gamma: 1, Mass: 1, Params: map[string]float64{"x": 0.25}}
	m.Seeds = []uint64{1, 1<<64 - 1} // the largest seed must survive JSON
	m.Stride, m.Steps, m.Frames = 100, 10_000_000, 100_000
	m.Files = map[string]string{"traj_T0.2": "traj_T0.2.npy", "features": "features.npy"}
	m.Extra = map[string]any{"note": "test", "n": 3.0}
	if m.Version != dspib.Version || m.Created.IsZero() {
		t.Fatalf("NewMetadata: version %q created %v", m.Version, m.Created)
	}
	path := tempPath(t, "run.json")
	if err := WriteJSON(path, m); err != nil {
		t.Fatal(err)
	}
	b := readBytes(t, path)
	if !strings.HasPrefix(string(b), "{\n  \"system\": \"lj7-2d\",\n") || b[len(b)-1] != '\n' {
		t.Fatalf("not indented JSON:\n%s", b)
	}
	got, err := ReadMetadata(path)
	if err != nil {
		t.Fatal(err)
	}
	// RawMessage keeps bytes as indented on write; compare it semantically.
	var p1, p2 any
	if json.Unmarshal(m.Potential, &p1) != nil || json.Unmarshal(got.Potential, &p2) != nil || !reflect.DeepEqual(p1, p2) {
		t.Fatalf("potential %s, want %s", got.Potential, m.Potential)
	}
	got.Potential, m.Potential = nil, nil
	if !got.Created.Equal(m.Created) {
		t.Fatalf("created %v, want %v", got.Created, m.Created)
	}
	got.Created = m.Created
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("read\n%+v\nwant\n%+v", got, m)
	}
}

func TestReadMetadataRejects(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"unknown field", `{"system": "x", "temperature": [1]}`, `unknown field "temperature"`},
		{"unknown nested", `{"integrator": {"name": "BAOAB", "friction": 1}}`, `unknown field "friction"`},
		{"syntax", `{"system": "x",, }`, "byte"},
		{"trailing", `{"system": "x"} {}`, "after the JSON object"},
		{"wrong type", `{"seeds": [-1]}`, "seeds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tempPath(t, "m.json")
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadMetadata(path)
			wantErr(t, err, path, tc.want)
		})
	}
	_, err := ReadMetadata(tempPath(t, "absent.json"))
	wantErr(t, err, "absent.json")
	wantErr(t, WriteJSON(tempPath(t, "c.json"), make(chan int)), "c.json")
}
