// Command volplace is a storage-aware kube-scheduler extender and admission
// webhook, with an offline simulator.
package main

import (
	"os"

	"github.com/volplace/volplace/cmd/volplace/app"
)

func main() {
	os.Exit(app.Run(app.NewCommand()))
}
