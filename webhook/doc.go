// Package webhook serves volplace's admission webhooks for
// PersistentVolumeClaims, StorageClasses and Pods, with controller-runtime's
// typed Defaulter and Validator and the same informer caches as the
// extender. docs/webhook.md lists every rule and message.
//
// Questions about volumes go to topology, so that the webhook, the
// extender and simulate give one answer: which claims a pod uses
// (topology.UsesClaim), whether a claim waits for its consumer
// (topology.DelaysBinding). The namespace's default class is answered once
// here (defaultclass.go) for the PVC and Pod webhooks alike.
//
// webhook imports topology only of volplace's packages: not the store nor
// the extender (test/layout checks it).
package webhook
