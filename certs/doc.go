// Package certs serves TLS for volplace's listeners: serving certificates
// are always read through controller-runtime's certwatcher, so a rotated
// certificate is picked up without a restart.
package certs
