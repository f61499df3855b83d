// Command tenantforge-usage is the Lambda extension in the shared layer
// (/opt/extensions/tenantforge-usage): it meters requests per tenant for
// every application function and flushes the totals as CloudWatch metrics
// after each response (shared/usage).
package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tenantforge/tenantforge/shared/obs"
	"github.com/tenantforge/tenantforge/shared/usage"
)

func main() {
	addr := os.Getenv("TENANTFORGE_USAGE_ADDR")
	if addr == "" {
		addr = usage.DefaultAddr
	}
	ext := &usage.Extension{
		API:  os.Getenv("AWS_LAMBDA_RUNTIME_API"),
		Name: filepath.Base(os.Args[0]),
		Addr: addr,
		Out:  os.Stdout,
		// The extension runs in the function's environment.
		Namespace: os.Getenv(obs.EnvNamespace),
	}
	if err := ext.Run(context.Background()); err != nil {
		slog.Error("tenantforge-usage", "error", err)
		os.Exit(1)
	}
}
