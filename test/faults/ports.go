package faults

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// lowestPort is the lowest port stableAddr picks.
const lowestPort = 10000

// stableAddr returns a loopback address, on a port below the kernel's
// ephemeral range, that is free now. The suite binds its fixed addresses
// (volplace's, the proxies', kube-apiserver's) again after every restart or
// cut: a port of the ephemeral range could meanwhile have become the local
// port of an outgoing connection, and the new bind would fail.
func stableAddr() (string, error) {
	high := 32768 // Linux's default start of the range
	if data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if fields := strings.Fields(string(data)); len(fields) == 2 {
			if n, err := strconv.Atoi(fields[0]); err == nil {
				high = n
			}
		}
	}
	if high <= lowestPort {
		return "", fmt.Errorf("the ephemeral port range starts at %d, below %d", high, lowestPort)
	}
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", lowestPort+rand.IntN(high-lowestPort))
		if l, err := net.Listen("tcp", addr); err == nil {
			return addr, l.Close()
		}
	}
	return "", errors.New("no free port below the ephemeral range")
}
