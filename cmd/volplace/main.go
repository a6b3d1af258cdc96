// Command volplace is a storage-aware kube-scheduler extender and admission
// webhook, with an offline simulator.
package main

import (
	"os"

	"k8s.io/component-base/cli"

	"github.com/volplace/volplace/cmd/volplace/app"
)

func main() {
	os.Exit(cli.Run(app.NewCommand()))
}
