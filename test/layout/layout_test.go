// Package layout checks the import rules that the packages' doc.go files
// state: the rules do not depend on the store or the servers, the servers
// not on each other, and nothing in the product on k8s.io/kubernetes (the
// scheduler plugin included: only the nested module cmd/volplace-scheduler
// imports it).
package layout

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/volplace/volplace"

// forbidden lists, per package, import paths (or prefixes ending in "/")
// that it must not depend on, directly or not; a path after "direct:" it
// must not import itself (net/http comes with k8s.io/api's types).
var forbidden = map[string][]string{
	"topology": {
		module + "/topology/store", module + "/extender", module + "/webhook", module + "/cmd/",
		"direct:net/http", "k8s.io/client-go/informers", "k8s.io/kubernetes/",
	},
	"topology/config": {
		module + "/topology/store", module + "/extender", module + "/webhook", module + "/plugin", module + "/cmd/", "k8s.io/kubernetes/",
	},
	"topology/store": {module + "/extender", module + "/webhook", module + "/cmd/", "k8s.io/kubernetes/"},
	"extender":       {module + "/topology/store", module + "/webhook", module + "/cmd/", "k8s.io/kubernetes/"},
	"webhook":        {module + "/topology/store", module + "/extender", module + "/cmd/", "k8s.io/kubernetes/"},
	// The scheduler plugin builds its store over kube-scheduler's informers;
	// the binary that imports k8s.io/kubernetes is the nested module
	// cmd/volplace-scheduler.
	"plugin": {module + "/extender", module + "/webhook", module + "/cmd/", "k8s.io/kubernetes/"},
	// The plugin's test harness stands in for the framework's runtime
	// without importing it.
	"plugin/plugintest": {module + "/extender", module + "/webhook", module + "/cmd/", "k8s.io/kubernetes/"},
	"cmd/volplace/app/simulate": {
		module + "/extender", module + "/webhook", "k8s.io/kubernetes/",
	},
	"cmd/volplace": {"k8s.io/kubernetes/"},
}

type pkg struct {
	ImportPath    string
	Imports, Deps []string
}

func TestImports(t *testing.T) {
	for dir, rules := range forbidden {
		t.Run(dir, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/"+dir).Output()
			if err != nil {
				t.Fatalf("go list %s: %v", dir, err)
			}
			var p pkg
			if err := json.Unmarshal(out, &p); err != nil {
				t.Fatalf("decoding go list: %v", err)
			}
			if len(p.Deps) == 0 {
				t.Fatalf("go list gave no dependencies of %s", dir)
			}
			for _, rule := range rules {
				deps := p.Deps
				if r, ok := strings.CutPrefix(rule, "direct:"); ok {
					rule, deps = r, p.Imports
				}
				bad := slices.IndexFunc(deps, func(d string) bool {
					if strings.HasSuffix(rule, "/") {
						return strings.HasPrefix(d, rule)
					}
					return d == rule
				})
				if bad >= 0 {
					t.Errorf("%s depends on %s, which its doc.go rules out", p.ImportPath, deps[bad])
				}
			}
		})
	}
}
