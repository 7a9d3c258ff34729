// Package provider maps the upstream Terraform TLS provider onto Pulumi's `tls` package, with the
// tokens the published @pulumi/tls SDK uses (tls:index/privateKey:PrivateKey, …).
package provider

import (
	_ "embed"

	"github.com/hashicorp/terraform-provider-tls/shim"
	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
)

// Version is the plugin version; it must equal the one the npm @pulumi/tls package asks for.
var Version = "0.0.0"

//go:embed bridge-metadata.json
var metadata []byte

// Schema is the package schema written by tfgen (empty while tfgen itself is built).
//
//go:embed schema.json
var Schema []byte

// Info describes the bridged provider.
func Info() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:            pf.ShimProvider(shim.New()),
		Name:         "tls",
		DisplayName:  "TLS",
		Publisher:    "Pulumi",
		Version:      Version,
		GitHubOrg:    "hashicorp",
		License:      "Apache-2.0",
		Homepage:     "https://pulumi.io",
		Repository:   "https://github.com/pulumi/pulumi-tls",
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
	}
	info.MustComputeTokens(tokens.SingleModule("tls_", "index", tokens.MakeStandard("tls")))
	return info
}
