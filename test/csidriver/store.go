package csidriver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// nodeRecord is a node's pool, as its instance recorded it.
type nodeRecord struct {
	Name       string `json:"name"`
	Zone       string `json:"zone"`
	Capacity   int64  `json:"capacity"`
	MaxVolumes int64  `json:"maxVolumes,omitempty"`
}

// volumeRecord is one volume.
type volumeRecord struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Node string `json:"node"`
	Zone string `json:"zone"`
	Size int64  `json:"size"`
	// Published lists the nodes the volume is published (attached) to.
	Published []string `json:"published,omitempty"`
}

// store is the state every instance of a driver shares, on disk under one
// root and guarded by a file lock, so that instances in other processes
// agree too.
type store struct {
	root string
}

func openStore(root string) (*store, error) {
	for _, dir := range []string{"nodes", "volumes", "data"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o750); err != nil {
			return nil, fmt.Errorf("csidriver: %w", err)
		}
	}
	return &store{root: root}, nil
}

// locked runs fn holding the root's lock.
func (s *store) locked(fn func() error) error {
	f, err := os.OpenFile(filepath.Join(s.root, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking %s: %w", s.root, err)
	}
	defer func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }()
	return fn()
}

func (s *store) dataDir(id string) string { return filepath.Join(s.root, "data", id) }

func (s *store) putNode(n nodeRecord) error {
	return s.locked(func() error { return s.write(filepath.Join("nodes", n.Name+".json"), n) })
}

// node returns a node's record; ok is false if no instance serves it.
func (s *store) node(name string) (n nodeRecord, ok bool, err error) {
	if !validName(name) {
		return n, false, nil
	}
	ok, err = s.read(filepath.Join("nodes", name+".json"), &n)
	return n, ok, err
}

func (s *store) volume(id string) (v volumeRecord, ok bool, err error) {
	if !validName(id) {
		return v, false, nil
	}
	ok, err = s.read(filepath.Join("volumes", id+".json"), &v)
	return v, ok, err
}

func (s *store) putVolume(v volumeRecord) error {
	return s.write(filepath.Join("volumes", v.ID+".json"), v)
}

func (s *store) deleteVolume(id string) error {
	if err := os.RemoveAll(s.dataDir(id)); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(s.root, "volumes", id+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// volumes lists every volume.
func (s *store) volumes() ([]volumeRecord, error) { return readAll[volumeRecord](s, "volumes") }

// nodes lists every node's record.
func (s *store) nodes() ([]nodeRecord, error) { return readAll[nodeRecord](s, "nodes") }

// readAll reads every record of a kind: the JSON files of its directory.
func readAll[T any](s *store, kind string) ([]T, error) {
	entries, err := os.ReadDir(filepath.Join(s.root, kind))
	if err != nil {
		return nil, err
	}
	var out []T
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		var r T
		found, err := s.read(filepath.Join(kind, e.Name()), &r)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, r)
		}
	}
	return out, nil
}

// publishedTo counts the volumes published to a node.
func (s *store) publishedTo(node string) (int64, error) {
	vols, err := s.volumes()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, v := range vols {
		if slices.Contains(v.Published, node) {
			n++
		}
	}
	return n, nil
}

func (s *store) read(rel string, into any) (bool, error) {
	data, err := os.ReadFile(filepath.Join(s.root, rel))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(data, into); err != nil {
		return false, fmt.Errorf("csidriver: %s: %w", rel, err)
	}
	return true, nil
}

// write replaces a file atomically.
func (s *store) write(rel string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	path := filepath.Join(s.root, rel)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// validName tells whether a name from a request can be used in a path.
func validName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\\\x00")
}
