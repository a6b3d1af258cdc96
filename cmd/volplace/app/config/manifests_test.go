package config

import (
	"path/filepath"
	"testing"
)

// TestShippedConfigurations loads every VolplaceConfiguration the manifests
// ship, as `volplace serve --config` would.
func TestShippedConfigurations(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "manifests", "*", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "manifests", "overlays", "*", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, more...)
	if len(files) < 2 {
		t.Fatalf("found %d configuration files, want the base's and the secondary scheduler's", len(files))
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			if _, err := LoadFile(f); err != nil {
				t.Error(err)
			}
		})
	}
}
