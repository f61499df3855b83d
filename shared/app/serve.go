package app

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tenantforge/tenantforge/shared/httpx"
)

// Serve is the whole main of an HTTP function: it builds the router from
// the environment and hands it to the Lambda runtime, or logs why it
// cannot start and exits (a failed init is reported by Lambda).
func Serve(function string, setup func() (*httpx.Router, error)) {
	router, err := setup()
	if err != nil {
		slog.Error(function+": cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(router.Serve)
}
