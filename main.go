// Command tenantforge is the Pulumi program of the tenantforge platform.
//
// It only loads the stack's configuration and composes the components in
// infra/: the platform stack, or a silo tenant's stack when the stack's
// config names a tenant. Run it with `pulumi up` (see README.md).
package main

import (
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tenantforge/tenantforge/infra"
)

func main() {
	dir := os.Getenv("TENANTFORGE_ARTIFACTS_DIR")
	if dir == "" {
		dir = infra.DefaultArtifactsDir
	}
	pulumi.Run(infra.Program(infra.Artifacts{Dir: dir}))
}
