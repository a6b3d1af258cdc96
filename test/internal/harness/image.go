package harness

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
)

// Images the kubelet nodes run, built from the machine's busybox (Debian's
// busybox-static) without a registry: PauseImage is containerd's sandbox
// image, AppImage the image of the suites' pods. Both sleep until killed.
const (
	PauseImage = "volplace.test/pause:1"
	AppImage   = "volplace.test/app:1"
)

// busyboxApplets are linked in /bin of the images.
var busyboxApplets = []string{"sh", "sleep", "ls", "cat", "echo", "touch", "test"}

// WriteImageArchive writes an image as `docker save` does (a
// docker-archive, which `ctr images import` reads): one layer holding
// busybox and its applets, and entrypoint.
func WriteImageArchive(path, ref, busybox string, entrypoint []string) error {
	bin, err := os.ReadFile(busybox)
	if err != nil {
		return fmt.Errorf("reading busybox: %w", err)
	}
	var layer bytes.Buffer
	lw := tar.NewWriter(&layer)
	for _, dir := range []string{"bin/", "tmp/", "data/"} {
		if err := lw.WriteHeader(&tar.Header{Name: dir, Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
			return err
		}
	}
	if err := lw.WriteHeader(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))}); err != nil {
		return err
	}
	if _, err := lw.Write(bin); err != nil {
		return err
	}
	for _, applet := range busyboxApplets {
		if err := lw.WriteHeader(&tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "busybox"}); err != nil {
			return err
		}
	}
	if err := lw.Close(); err != nil {
		return err
	}
	layerSum := sha256.Sum256(layer.Bytes())
	layerID := hex.EncodeToString(layerSum[:])
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config":       map[string]any{"Entrypoint": entrypoint, "Env": []string{"PATH=/bin"}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + layerID}},
	})
	if err != nil {
		return err
	}
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	manifest, err := json.Marshal([]map[string]any{{
		"Config": configName, "RepoTags": []string{ref}, "Layers": []string{layerID + "/layer.tar"},
	}})
	if err != nil {
		return err
	}
	var archive bytes.Buffer
	aw := tar.NewWriter(&archive)
	for _, f := range []struct {
		name string
		data []byte
	}{{configName, config}, {layerID + "/layer.tar", layer.Bytes()}, {"manifest.json", manifest}} {
		if err := aw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f.data))}); err != nil {
			return err
		}
		if _, err := aw.Write(f.data); err != nil {
			return err
		}
	}
	if err := aw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, archive.Bytes(), 0o600)
}
