package csidriver

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/kubernetes-csi/csi-test/v5/pkg/sanity"
)

// envSanityVariant selects the variant a child test process runs: Ginkgo,
// under csi-sanity, runs one suite per process.
const envSanityVariant = "VOLPLACE_CSI_SANITY_VARIANT"

// TestSanity runs csi-sanity, SIG Storage's CSI conformance suite, against
// one node's instance: node-local with and without attach, and zonal with
// attach, each in a child process.
func TestSanity(t *testing.T) {
	if v := os.Getenv(envSanityVariant); v != "" {
		runSanity(t, v != "no-attach", v == "zonal")
		return
	}
	for _, variant := range []string{"attach", "no-attach", "zonal"} {
		t.Run(variant, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSanity$", "-test.v")
			cmd.Env = append(os.Environ(), envSanityVariant+"="+variant)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("csi-sanity (%s): %v\n%s", variant, err, out)
			}
			ran := regexp.MustCompile(`Ran (\d+) of \d+ Specs`).FindSubmatch(out)
			if ran == nil || string(ran[1]) == "0" {
				t.Fatalf("csi-sanity (%s) ran no specs:\n%s", variant, out)
			}
			t.Logf("csi-sanity (%s): %s passed", variant, ran[0])
		})
	}
}

func runSanity(t *testing.T, attach, zonal bool) {
	dir := shortTempDir(t)
	d, err := New(Options{
		Name: "sanity.csi.volplace.test", Root: filepath.Join(dir, "root"),
		Node: "node-1", Zone: "zone-a", Capacity: 100 << 30, MaxVolumes: 16, Attach: attach, Zonal: zonal,
	})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "csi.sock")
	if err := d.Listen(sock); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)

	config := sanity.NewTestConfig()
	config.Address = "unix://" + sock
	config.TargetPath = filepath.Join(dir, "target")
	config.StagingPath = filepath.Join(dir, "staging")
	config.TestVolumeSize = 1 << 30
	config.TestNodeVolumeAttachLimit = true
	sanity.Test(t, config)
}

// shortTempDir is a temporary directory with a path short enough for a
// unix socket (108 bytes), which t.TempDir's may not be.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "csid-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
