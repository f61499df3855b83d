// Command products is the products service of the SaaS application (shared/app),
// in a pool group (TENANCY=pool: every data access through the caller's
// tenant STS session) or a silo group (TENANCY=silo: one tenant's tables).
package main

import (
	"context"

	"github.com/tenantforge/tenantforge/shared/app"
	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/usage"
)

func main() { app.Serve("products", setup) }

func setup() (*httpx.Router, error) {
	s, err := app.StoreFromEnv(context.Background())
	if err != nil {
		return nil, err
	}
	return app.NewProducts(s, app.Logger(), usage.NewReporter("")), nil
}
