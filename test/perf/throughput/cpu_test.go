package main

import (
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr bool
	}{
		{
			name: "command with spaces and parentheses",
			stat: "4242 (kube (x) y) S 1 4242 4242 0 -1 4194560 9000 0 0 0 250 75 0 0 20 0 12 0 1000 2000000 3000",
			want: 3250 * time.Millisecond,
		},
		{name: "truncated", stat: "1 (a) S 1 2 3", wantErr: true},
		{name: "no command", stat: "1 a S", wantErr: true},
		{name: "not a number", stat: "1 (a) S 1 1 1 0 -1 0 0 0 0 0 x 1 0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU(tt.stat)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStatCPU() error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseStatCPU() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestProcessCPU(t *testing.T) {
	// Burn some CPU so that this process's time is above zero.
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) {
	}
	got, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if got <= 0 {
		t.Errorf("processCPU(self) = %s, want more than 0", got)
	}
}
