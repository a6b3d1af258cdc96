// Package config is the serialized form of the rules' options
// (topology.Options): the rules and scoring sections of volplace's
// configuration file (VolplaceConfiguration), which are also the arguments
// of the Volplace scheduler plugin (VolplaceArgs in a
// KubeSchedulerConfiguration's pluginConfig). One schema, one validation
// and one conversion serve both, so a rule switch reads the same in
// either file.
//
// It imports package topology and nothing of volplace's servers, store or
// commands.
package config
