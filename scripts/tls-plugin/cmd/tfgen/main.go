// Command tfgen writes the tls package schema and the bridge metadata.
package main

import (
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"dynoform.local/pulumi-resource-tls/provider"
)

func main() { pftfgen.Main("tls", provider.Info()) }
