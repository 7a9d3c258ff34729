// Command plugin is pulumi-resource-tls, the resource plugin the Pulumi CLI runs for @pulumi/tls.
package main

import (
	"context"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"dynoform.local/pulumi-resource-tls/provider"
)

func main() {
	pf.Main(context.Background(), "tls", provider.Info(), pf.ProviderMetadata{PackageSchema: provider.Schema})
}
