// Command products is the products service of the SaaS application (shared/app),
// in a pool group (TENANCY=pool: every data access through the caller's
// tenant STS session) or a silo group (TENANCY=silo: one tenant's tables).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tenantforge/tenantforge/shared/app"
	"github.com/tenantforge/tenantforge/shared/usage"
)

func main() {
	s, err := app.StoreFromEnv(context.Background())
	if err != nil {
		slog.Error("products: cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(app.NewProducts(s, app.Logger(), usage.NewReporter("")).Serve)
}
