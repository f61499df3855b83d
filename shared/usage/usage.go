// Package usage meters requests per tenant for billing and operations. A
// function reports one record per request to the tenantforge usage
// extension (a Lambda extension shipped in the shared layer) over loopback;
// the extension aggregates them and, after the response has gone out,
// flushes them as CloudWatch Embedded Metric Format lines (shared/obs):
// requests, client errors, server errors, latency samples, items written and
// DynamoDB capacity consumed per tenant, tier and service.
package usage

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"time"
)

// DefaultAddr is where the extension listens.
const DefaultAddr = "127.0.0.1:2773"

// Record is one request.
type Record struct {
	TenantID  string  `json:"tenantId"`
	Tier      string  `json:"tier"`
	Service   string  `json:"service"`
	Status    int     `json:"status"`
	LatencyMs float64 `json:"latencyMs"`
	// What the request consumed (shared/obs.Meter).
	ItemsWritten  int     `json:"itemsWritten,omitempty"`
	ReadCapacity  float64 `json:"readCapacityUnits,omitempty"`
	WriteCapacity float64 `json:"writeCapacityUnits,omitempty"`
}

// Reporter sends records to the extension. Reporting is best effort: a
// missing extension never fails or slows a request by more than Timeout.
type Reporter struct {
	url    string
	client *http.Client
}

// Timeout bounds one report.
const Timeout = 50 * time.Millisecond

// NewReporter reports to the extension at addr ("" for
// TENANTFORGE_USAGE_ADDR or DefaultAddr).
func NewReporter(addr string) *Reporter {
	if addr == "" {
		addr = os.Getenv("TENANTFORGE_USAGE_ADDR")
	}
	if addr == "" {
		addr = DefaultAddr
	}
	return &Reporter{url: "http://" + addr + "/usage", client: &http.Client{Timeout: Timeout}}
}

// Report sends a record; it returns whether the extension took it.
func (r *Reporter) Report(ctx context.Context, rec Record) bool {
	if r == nil || rec.TenantID == "" {
		return false
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return false
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusAccepted
}
