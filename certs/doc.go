// Package certs will generate, serve and rotate the TLS certificates of
// volplace's servers.
package certs
