// Package shim exposes the upstream Terraform TLS provider. Its module path sits under
// github.com/hashicorp/terraform-provider-tls/ so that Go lets it import that module's
// internal/provider package.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/hashicorp/terraform-provider-tls/internal/provider"
)

// New returns the upstream provider (Plugin Framework).
func New() provider.Provider { return upstream.New() }
