package main

import (
	"syscall"
	"time"
)

// prSetTimerSlack is prctl's PR_SET_TIMERSLACK (linux/prctl.h).
const prSetTimerSlack = 29

// preciseTimers makes the calling thread's sleeps end within a microsecond
// of their deadline instead of Linux's default 50 µs slack. Call it on a
// locked OS thread.
func preciseTimers() {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0) // best effort
}

// sleepUntil blocks until t with a nanosleep system call: its wake-up is
// within about 0.1 ms, where time.Sleep's, through the runtime's network
// poller, is rounded up to whole milliseconds. Callers should hold their OS
// thread (runtime.LockOSThread).
func sleepUntil(t time.Time) {
	for d := time.Until(t); d > 0; d = time.Until(t) {
		ts := syscall.NsecToTimespec(int64(d))
		_ = syscall.Nanosleep(&ts, nil) // EINTR: sleep the rest
	}
}
