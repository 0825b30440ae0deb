package runstore

import (
	"context"
	"errors"
	"fmt"
	"github.com/dspib/dspib/internal/folderlock"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/dspib/dspib/md/traj"
)

// ExtraShard is the key of traj.Metadata.Extra in a shard marker: the index
// of the shard (the temperature's position in Metadata.Temperatures).
const ExtraShard = "shard"

// ShardMarkerName returns the name of the marker file of the shard at kT.
func ShardMarkerName(kT float64) string { return "shard_" + traj.TempTag(kT) + ".json" }

// SimulateShard runs shard i of cfg only: the replica at cfg.Temperatures[i]
// (after defaults), writing its files and its marker into cfg.Dir while other
// processes run the other shards (see Sharded runs in the package doc).
// It refuses cfg.Force (one shard must not delete another's files) and a
// folder holding metadata.json or markers of a run with other settings. A
// shard that is already complete is not run again; an interrupted one
// resumes from its checkpoint.
func SimulateShard(ctx context.Context, cfg Config, i int) error {
	return simulate(ctx, cfg, shardScope{i})
}

// scope is the part of a run one Simulate call is responsible for: all
// replicas (wholeRun) or one shard.
type scope interface {
	// check refuses settings the scope cannot run.
	check(cfg *Config) error
	// in reports whether replica i belongs to the scope.
	in(i int) bool
	// prepare checks the folder and reports the replicas already done and
	// whether earlier checkpoints may be trusted (see prepareFolder).
	prepare(cfg *Config, meta *traj.Metadata, note func(string, ...any)) (done []bool, reuse bool, err error)
	// writeMetadata records the scope's metadata and completion.
	writeMetadata(cfg *Config, meta *traj.Metadata, complete bool) error
	// describe names the scope in notes; metadataName its metadata file.
	describe(cfg *Config) string
	metadataName(cfg *Config) string
	// lock takes the scope's folder locks (see package folderlock) and
	// returns the function that releases them.
	lock(cfg *Config) (release func(), err error)
}

// wholeRun is the scope of Simulate: every replica, metadata.json.
type wholeRun struct{}

func (wholeRun) check(*Config) error { return nil }
func (wholeRun) in(int) bool         { return true }
func (wholeRun) prepare(cfg *Config, meta *traj.Metadata, note func(string, ...any)) ([]bool, bool, error) {
	return prepareFolder(cfg, meta, note)
}
func (wholeRun) writeMetadata(cfg *Config, meta *traj.Metadata, complete bool) error {
	return writeMetadata(cfg.Dir, meta, complete)
}
func (wholeRun) describe(cfg *Config) string {
	return fmt.Sprintf("all %d temperatures", len(cfg.Temperatures))
}
func (wholeRun) metadataName(*Config) string { return MetadataName }

// lock: a whole run is the folder's only writer.
func (wholeRun) lock(cfg *Config) (func(), error) {
	l, err := folderlock.Exclusive(cfg.Dir)
	return func() { l.Release() }, err
}

// shardScope is the scope of SimulateShard: replica i and its marker.
type shardScope struct{ i int }

func (s shardScope) check(cfg *Config) error {
	if n := len(cfg.Temperatures); s.i < 0 || s.i >= n {
		return fmt.Errorf("runstore: shard %d: the run has %d temperatures %v, so shards 0 to %d", s.i, n, cfg.Temperatures, n-1)
	}
	if cfg.Force {
		return fmt.Errorf("runstore: shard %d: Config.Force cannot be used with a shard (it would delete files other shards are writing); empty the folder %s first", s.i, cfg.Dir)
	}
	return nil
}

func (s shardScope) in(i int) bool { return i == s.i }

// lock: shards of one run write one folder together (shared lock), each
// its own temperature alone (ShardLockName); a whole run waits for them all.
func (s shardScope) lock(cfg *Config) (func(), error) {
	shared, err := folderlock.Shared(cfg.Dir)
	if err != nil {
		return nil, err
	}
	own, err := folderlock.Named(cfg.Dir, ShardLockName(cfg.Temperatures[s.i]))
	if err != nil {
		shared.Release()
		return nil, err
	}
	return func() { own.Release(); shared.Release() }, nil
}

// ShardLockName is the lock file of the shard at kT (.lock_kT0.200).
func ShardLockName(kT float64) string { return folderlock.Name + "_" + traj.TempTag(kT) }

func (s shardScope) describe(cfg *Config) string {
	return fmt.Sprintf("shard %d (%s)", s.i, traj.TempTag(cfg.Temperatures[s.i]))
}

func (s shardScope) metadataName(cfg *Config) string {
	return ShardMarkerName(cfg.Temperatures[s.i])
}

func (s shardScope) writeMetadata(cfg *Config, meta *traj.Metadata, complete bool) error {
	m := *meta
	m.Extra = maps.Clone(meta.Extra)
	m.Extra[ExtraShard] = s.i
	m.Extra[ExtraComplete] = complete
	delete(m.Extra, ExtraChecksums)
	if complete {
		var names []string
		for _, f := range replicaFiles(cfg, cfg.Temperatures[s.i]) {
			names = append(names, f.name)
		}
		sums, err := fileChecksums(cfg.Dir, names)
		if err != nil {
			return err
		}
		m.Extra[ExtraChecksums] = sums
	}
	return traj.WriteJSON(outPath(cfg.Dir, s.metadataName(cfg)), &m)
}

// prepare creates the folder if needed and checks that metadata.json and
// every marker in it, if any, describe a run with the settings of meta. The
// shard is reused (done) if its marker or metadata.json has those settings
// and its files are complete; its checkpoint is trusted under the same
// condition. Other files are left alone: they belong to other shards, which
// may be writing them right now.
func (s shardScope) prepare(cfg *Config, meta *traj.Metadata, note func(string, ...any)) ([]bool, bool, error) {
	done := make([]bool, len(cfg.Temperatures))
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, false, fmt.Errorf("-out: %w", err)
	}
	own := s.metadataName(cfg)
	reuse := false
	for _, name := range append([]string{MetadataName}, markerNames(cfg.Dir)...) {
		old, err := traj.ReadMetadata(outPath(cfg.Dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("%w: %v; remove it or choose a new folder", ErrFolder, err)
		}
		diffs, err := metadataDiff(old, meta)
		if err != nil {
			return nil, false, err
		}
		if len(diffs) > 0 {
			return nil, false, fmt.Errorf("%w: %s in %s is of a run with different settings (%s); choose a new folder or empty this one (shards never overwrite another run)", ErrFolder,
				name, cfg.Dir, strings.Join(diffs, "; "))
		}
		if name == own || name == MetadataName {
			reuse = true
			if meta.Created.IsZero() || old.Created.Before(meta.Created) {
				meta.Created = old.Created
			}
		}
	}
	if reuse {
		kT := cfg.Temperatures[s.i]
		ok, why := replicaComplete(cfg, kT)
		done[s.i] = ok
		if ok {
			note("%s: reusing the complete files in %s (same settings)", traj.TempTag(kT), cfg.Dir)
		} else {
			note("%s: %s; running it", traj.TempTag(kT), why)
		}
	}
	return done, reuse, nil
}

// markerNames lists the shard markers in dir, sorted (none if dir cannot be
// read: the caller then finds no markers and reports what it needs).
func markerNames(dir string) []string {
	names, _ := dirEntries(dir)
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, "shard_kT") && strings.HasSuffix(n, ".json") {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// MissingShard is a shard of a run assembled from markers that is not
// complete.
type MissingShard struct {
	Index int
	KT    float64
	// Started: its marker exists (it is running, failed or was interrupted).
	Started bool
}

func (m MissingShard) String() string {
	state := "not started"
	if m.Started {
		state = "started, not complete"
	}
	return fmt.Sprintf("shard %d (kT %v, %s): %s", m.Index, m.KT, ShardMarkerName(m.KT), state)
}

// readRunMetadata returns the metadata of the run in dir: metadata.json if
// it exists, otherwise the metadata assembled from the shard markers, with
// extra.complete true when every temperature has a complete marker (and
// missing listing the shards that do not). With neither, the error wraps
// os.ErrNotExist.
func readRunMetadata(dir string) (meta *traj.Metadata, missing []MissingShard, err error) {
	meta, err = traj.ReadMetadata(outPath(dir, MetadataName))
	if !errors.Is(err, os.ErrNotExist) {
		return meta, nil, err
	}
	names := markerNames(dir)
	if len(names) == 0 {
		return nil, nil, err // names metadata.json
	}
	markers := make([]*traj.Metadata, len(names))
	for k, name := range names {
		if markers[k], err = traj.ReadMetadata(outPath(dir, name)); err != nil {
			return nil, nil, err
		}
		if k == 0 {
			continue
		}
		diffs, err := metadataDiff(markers[0], markers[k])
		if err != nil {
			return nil, nil, err
		}
		if len(diffs) > 0 {
			return nil, nil, fmt.Errorf("%s: shard markers %s and %s are of different runs (%s); the folder mixes two runs", dir, names[0], name, strings.Join(diffs, "; "))
		}
	}
	merged := *markers[0]
	meta = &merged
	meta.Extra = maps.Clone(meta.Extra)
	delete(meta.Extra, ExtraShard)
	complete := map[int]bool{}
	started := map[int]bool{}
	sums := map[string]any{} // each marker records its own temperature's files
	acc := map[string]any{}  // and, for MALA, its own acceptance
	for k, m := range markers {
		if s, ok := m.Extra[ExtraChecksums].(map[string]any); ok {
			maps.Copy(sums, s)
		}
		if a, ok := m.Extra[ExtraAcceptance].(map[string]any); ok {
			maps.Copy(acc, a)
		}
		idx, ok := m.Extra[ExtraShard].(float64)
		i := int(idx)
		if !ok || float64(i) != idx || i < 0 || i >= len(meta.Temperatures) || ShardMarkerName(meta.Temperatures[i]) != names[k] {
			return nil, nil, fmt.Errorf("%s: %s: extra.%s = %v does not name this marker's temperature among %v", dir, names[k], ExtraShard, m.Extra[ExtraShard], meta.Temperatures)
		}
		started[i] = true
		complete[i], _ = m.Extra[ExtraComplete].(bool)
		if m.Created.Before(meta.Created) {
			meta.Created = m.Created
		}
	}
	for i, kT := range meta.Temperatures {
		if !complete[i] {
			missing = append(missing, MissingShard{Index: i, KT: kT, Started: started[i]})
		}
	}
	meta.Extra[ExtraComplete] = len(missing) == 0
	delete(meta.Extra, ExtraChecksums)
	if len(sums) > 0 {
		meta.Extra[ExtraChecksums] = sums
	}
	delete(meta.Extra, ExtraAcceptance)
	if len(acc) > 0 {
		meta.Extra[ExtraAcceptance] = acc
	}
	return meta, missing, nil
}
