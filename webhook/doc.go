// Package webhook serves volplace's admission webhooks for
// PersistentVolumeClaims, StorageClasses and Pods, with controller-runtime's
// typed Defaulter and Validator and the same informer caches as the
// extender. docs/webhook.md lists every rule and message.
package webhook
