package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// BasisUnavailable marks a record whose cost could not be read (Cost
// Explorer failed); the next run of the day replaces it.
const BasisUnavailable = "cost-unavailable"

// Source reads a day's usage and cost (billing/awsusage on AWS).
type Source interface {
	Usage(ctx context.Context, day time.Time) ([]TenantUsage, error)
	Costs(ctx context.Context, day time.Time) (Costs, error)
}

// Job is the daily usage run: read, allocate, save.
type Job struct {
	Source Source
	Store  *Store
	Logger *slog.Logger
	Now    func() time.Time
}

// Run computes and saves the records of the UTC day starting at day. When
// the cost cannot be read it still saves the usage (marked
// BasisUnavailable) and fails, so the scheduler's retry completes it.
func (j *Job) Run(ctx context.Context, day time.Time) ([]Record, error) {
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	usage, err := j.Source.Usage(ctx, day)
	if err != nil {
		return nil, err
	}
	costs, costErr := j.Source.Costs(ctx, day)
	var recs []Record
	if costErr != nil {
		recs = Allocate(day.Format(DayLayout), usage, Costs{}, now())
		for i := range recs {
			recs[i].CostBasis, recs[i].EstimatedCostUSD, recs[i].PoolShare = BasisUnavailable, 0, 0
		}
	} else {
		recs = Allocate(day.Format(DayLayout), usage, costs, now())
	}
	if err := j.Store.Save(ctx, recs); err != nil {
		return recs, errors.Join(err, costErr)
	}
	if j.Logger != nil {
		var total float64
		for _, r := range recs {
			total += r.EstimatedCostUSD
		}
		j.Logger.InfoContext(ctx, "usage computed", "day", day.Format(DayLayout), "tenants", len(recs), "estimated_cost_usd", total,
			"cost_error", errString(costErr))
	}
	return recs, costErr
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Handle is the Lambda handler of the daily schedule: it computes the day
// before the event's time (UTC), whose cost Cost Explorer has by then.
func (j *Job) Handle(ctx context.Context, ev events.CloudWatchEvent) error {
	at := ev.Time
	if at.IsZero() {
		return fmt.Errorf("usage: the scheduled event has no time")
	}
	day := at.UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	_, err := j.Run(ctx, day)
	return err
}
