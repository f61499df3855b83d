// Command usage is the daily usage function: on its EventBridge schedule it
// reads yesterday's per-tenant usage metrics (CloudWatch) and the account's
// cost by tenant tag (Cost Explorer), and writes each tenant's usage and
// estimated cost to the tenant-usage table (shared/billing).
//
// Environment: USAGE_TABLE, TENANTFORGE_METRICS_NAMESPACE, COST_TAG_KEY,
// USAGE_RETENTION_DAYS.
package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tenantforge/tenantforge/shared/awsenv"
	"github.com/tenantforge/tenantforge/shared/billing"
	"github.com/tenantforge/tenantforge/shared/billing/awsusage"
	"github.com/tenantforge/tenantforge/shared/obs"
)

func main() {
	job, err := setup()
	if err != nil {
		slog.Error("usage: cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(job.Handle)
}

// costExplorerRegion is where the Cost Explorer API lives, whatever the
// stack's region.
const costExplorerRegion = "us-east-1"

func setup() (*billing.Job, error) {
	table, ns, tag := os.Getenv("USAGE_TABLE"), os.Getenv(obs.EnvNamespace), os.Getenv("COST_TAG_KEY")
	if table == "" || ns == "" || tag == "" {
		return nil, errors.New("USAGE_TABLE, " + obs.EnvNamespace + " and COST_TAG_KEY must be set")
	}
	days, err := strconv.Atoi(os.Getenv("USAGE_RETENTION_DAYS"))
	if err != nil || days < 1 {
		return nil, fmt.Errorf("USAGE_RETENTION_DAYS=%q must be a positive number of days", os.Getenv("USAGE_RETENTION_DAYS"))
	}
	cfg, err := awsenv.Config()
	if err != nil {
		return nil, err
	}
	return &billing.Job{
		Source: &awsusage.Reader{
			CloudWatch:   cloudwatch.NewFromConfig(cfg),
			CostExplorer: costexplorer.NewFromConfig(cfg, func(o *costexplorer.Options) { o.Region = costExplorerRegion }),
			Namespace:    ns,
			TagKey:       tag,
		},
		Store:  &billing.Store{DB: dynamodb.NewFromConfig(cfg), Table: table, Retention: time.Duration(days) * 24 * time.Hour},
		Logger: obs.NewLogger(os.Stdout),
	}, nil
}
