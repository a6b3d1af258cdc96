package app

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"k8s.io/component-base/version"
)

// defaultGitVersion is what component-base reports when no -ldflags set
// the version: `go build`, `go run` and `go install` builds.
const defaultGitVersion = "v0.0.0-master+$Format:%H$"

// buildVersion is volplace's version: the one -ldflags set (make build, the
// image), else the main module's version and VCS revision from the build
// info, which `go build`, `go run` and `go install` record.
type buildVersion struct {
	Version, Revision, GoVersion string
	Modified                     bool
}

func currentVersion() buildVersion {
	v := buildVersion{Version: version.Get().GitVersion, GoVersion: version.Get().GoVersion}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.GoVersion = info.GoVersion
	if v.Version == defaultGitVersion || v.Version == "" {
		v.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	if v.Version == "" || v.Version == "(devel)" {
		v.Version = "devel"
	}
	return v
}

// String is the line --version prints.
func (v buildVersion) String() string {
	var details []string
	if v.Revision != "" {
		rev := v.Revision
		if v.Modified {
			rev += ", modified"
		}
		details = append(details, "revision "+rev)
	}
	if v.GoVersion != "" {
		details = append(details, v.GoVersion)
	}
	if len(details) == 0 {
		return "volplace " + v.Version
	}
	return fmt.Sprintf("volplace %s (%s)", v.Version, strings.Join(details, ", "))
}

// printVersion writes the --version line.
func printVersion(w io.Writer) { _, _ = fmt.Fprintln(w, currentVersion()) }
