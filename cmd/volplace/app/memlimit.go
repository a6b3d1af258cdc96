package app

import (
	"fmt"
	"strconv"
)

// EnvMemoryLimit names the variable through which the deployment passes
// the container's memory limit in bytes (a resourceFieldRef).
const EnvMemoryLimit = "VOLPLACE_MEMORY_LIMIT"

// memoryLimitShare is the part of the container's memory limit the Go
// runtime aims to stay under: past it the garbage collector works harder
// rather than letting the heap grow to twice the live data, the default.
const memoryLimitShare = 0.9

// softMemoryLimit returns the Go runtime's soft memory limit for a
// container limit in bytes, or false when there is none to set: no
// container limit, or GOMEMLIMIT set, which wins.
func softMemoryLimit(getenv func(string) string) (int64, bool, error) {
	if getenv("GOMEMLIMIT") != "" {
		return 0, false, nil
	}
	v := getenv(EnvMemoryLimit)
	if v == "" {
		return 0, false, nil
	}
	limit, err := strconv.ParseInt(v, 10, 64)
	if err != nil || limit <= 0 {
		return 0, false, fmt.Errorf("%s=%q: want the container's memory limit in bytes", EnvMemoryLimit, v)
	}
	return int64(float64(limit) * memoryLimitShare), true, nil
}
