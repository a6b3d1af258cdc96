// Command volplace-scheduler is kube-scheduler with volplace's rules
// compiled in as the scheduling framework plugin Volplace (package plugin).
// It takes kube-scheduler's flags and configuration; a profile enables the
// plugin (manifests/scheduler/volplace-scheduler-config.yaml).
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-scheduler/app"

	"github.com/volplace/volplace/plugin"
)

func main() {
	os.Exit(cli.Run(app.NewSchedulerCommand(app.WithPlugin(plugin.Name, plugin.New))))
}
