// Package webhook will serve volplace's admission webhooks for
// PersistentVolumeClaims, StorageClasses and Pods.
package webhook
