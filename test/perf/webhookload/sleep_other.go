//go:build !linux

package main

import "time"

// sleepUntil blocks until t.
func sleepUntil(t time.Time) { time.Sleep(time.Until(t)) }

// preciseTimers does nothing: only Linux has a timer slack to set.
func preciseTimers() {}
