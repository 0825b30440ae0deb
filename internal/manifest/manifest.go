// Package manifest binds the files of a folder together: a manifest.json
// with the SHA-256 of every file, written last, and checked before the
// folder is used, so that a file swapped in from another folder (an SPIB
// checkpoint of the same shape from another model), truncated or edited is
// detected instead of silently combined with the rest.
package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dspib/dspib/internal/atomicfile"
)

// Name is the manifest's file name.
const Name = "manifest.json"

// format tags the manifest's JSON.
const format = "dspib-manifest/1"

// ErrMismatch is wrapped by Verify's error for a file whose content is not
// the one recorded.
var ErrMismatch = errors.New("does not match the folder's manifest")

type file struct {
	Format string            `json:"format"`
	Files  map[string]string `json:"sha256"` // slash-separated path in the folder → hex SHA-256
}

// skipped reports names that are never part of a manifest: the manifest
// itself, the folder locks (.lock*) and temporaries (*.part).
func skipped(name string) bool {
	return name == Name || strings.HasPrefix(name, ".lock") || strings.HasSuffix(name, atomicfile.PartSuffix)
}

// Write records the SHA-256 of every regular file under dir (subfolders
// included) in dir/manifest.json, atomically. Call it after the last other
// file is written.
func Write(dir string) error {
	m := file{Format: format, Files: map[string]string{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || skipped(d.Name()) {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		sum, err := hashFile(p)
		m.Files[filepath.ToSlash(rel)] = sum
		return err
	})
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, Name), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// Verify checks every file dir/manifest.json lists against its SHA-256. A
// folder without a manifest (written before manifests existed, or by a
// writer that does not record one) is not checked: ok is then false and err
// nil. Files the manifest does not list are ignored.
func Verify(dir string) (ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, Name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("manifest: %w", err)
	}
	var m file
	if err := json.Unmarshal(b, &m); err != nil || m.Format != format {
		return false, fmt.Errorf("manifest: %s: not a %s manifest (%v)", filepath.Join(dir, Name), format, err)
	}
	for _, rel := range slices.Sorted(maps.Keys(m.Files)) {
		if !filepath.IsLocal(filepath.FromSlash(rel)) {
			return false, fmt.Errorf("manifest: %s lists %q outside the folder", filepath.Join(dir, Name), rel)
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		sum, err := hashFile(p)
		if err != nil {
			return false, fmt.Errorf("manifest: %w", err)
		}
		if sum != m.Files[rel] {
			return false, fmt.Errorf("%s %w (SHA-256 %.12s…, recorded %.12s…): it was replaced or changed after the folder was written", p, ErrMismatch, sum, m.Files[rel])
		}
	}
	return true, nil
}

// SHA256File returns the hex SHA-256 of the file at p.
func SHA256File(p string) (string, error) { return hashFile(p) }

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
