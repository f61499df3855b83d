package usage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantforge/tenantforge/shared/obs"
)

// Extension is the usage extension: it registers with the Lambda
// Extensions API, collects records on its loopback listener and flushes
// them as EMF after each invocation and at shutdown.
type Extension struct {
	// API is AWS_LAMBDA_RUNTIME_API (host:port).
	API string
	// Name is the extension's file name under /opt/extensions.
	Name string
	// Addr is where it listens for records.
	Addr string
	// Out receives the EMF lines (stdout: the function's log group).
	Out io.Writer
	// Now is the clock of the metric timestamps.
	Now func() time.Time
	// Namespace is the CloudWatch namespace (obs.DefaultNamespace if empty;
	// the function's TENANTFORGE_METRICS_NAMESPACE in Lambda).
	Namespace string

	mu      sync.Mutex
	pending map[key]*totals
}

type key struct{ tenant, tier, service string }

type totals struct {
	requests, clientErrors, serverErrors, itemsWritten int
	readCapacity, writeCapacity                        float64
	latencies                                          []float64
}

func (e *Extension) add(r Record) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending == nil {
		e.pending = map[key]*totals{}
	}
	k := key{r.TenantID, r.Tier, r.Service}
	t := e.pending[k]
	if t == nil {
		t = &totals{}
		e.pending[k] = t
	}
	t.requests++
	switch {
	case r.Status >= 500:
		t.serverErrors++
	case r.Status >= 400:
		t.clientErrors++
	}
	t.latencies = append(t.latencies, r.LatencyMs)
	t.itemsWritten += r.ItemsWritten
	t.readCapacity += r.ReadCapacity
	t.writeCapacity += r.WriteCapacity
}

// Flush writes one EMF line per tenant, tier and service seen since the
// last flush, in a stable order, and forgets them.
func (e *Extension) Flush() error {
	e.mu.Lock()
	pending := e.pending
	e.pending = nil
	e.mu.Unlock()
	keys := make([]key, 0, len(pending))
	for k := range pending {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return strings.Compare(a.tenant+"\x00"+a.tier+"\x00"+a.service, b.tenant+"\x00"+b.tier+"\x00"+b.service)
	})
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	ns := e.Namespace
	if ns == "" {
		ns = obs.DefaultNamespace
	}
	var buf bytes.Buffer
	for _, k := range keys {
		t := pending[k]
		props := map[string]string{obs.DimTenant: k.tenant, obs.DimTier: k.tier, obs.DimService: k.service}
		// Latency goes out as samples (percentiles work on them), at most
		// obs.MaxValues per line; the counts ride on the first line.
		for i := 0; i < len(t.latencies); i += obs.MaxValues {
			samples := t.latencies[i:min(i+obs.MaxValues, len(t.latencies))]
			values := []obs.Value{{Name: obs.MetricLatency, Unit: "Milliseconds", Values: samples}}
			if i == 0 {
				values = append([]obs.Value{
					{Name: obs.MetricRequests, Unit: "Count", Values: []float64{float64(t.requests)}},
					{Name: obs.MetricClientErrors, Unit: "Count", Values: []float64{float64(t.clientErrors)}},
					{Name: obs.MetricServerErrors, Unit: "Count", Values: []float64{float64(t.serverErrors)}},
					{Name: obs.MetricItemsWritten, Unit: "Count", Values: []float64{float64(t.itemsWritten)}},
					{Name: obs.MetricReadCapacity, Unit: "Count", Values: []float64{t.readCapacity}},
					{Name: obs.MetricWriteCapacity, Unit: "Count", Values: []float64{t.writeCapacity}},
				}, values...)
			}
			line, err := obs.EMF(ns, now(), obs.DimensionSets, props, values)
			if err != nil {
				return err
			}
			buf.Write(line)
			buf.WriteByte('\n')
		}
	}
	if buf.Len() == 0 {
		return nil
	}
	_, err := e.Out.Write(buf.Bytes())
	return err
}

// Serve handles POST /usage.
func (e *Extension) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/usage" {
		http.NotFound(w, r)
		return
	}
	var rec Record
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&rec); err != nil || rec.TenantID == "" {
		http.Error(w, "a usage record is {tenantId, tier, service, status, latencyMs}", http.StatusBadRequest)
		return
	}
	e.add(rec)
	w.WriteHeader(http.StatusAccepted)
}

type event struct {
	EventType string `json:"eventType"`
}

// Run registers the extension, serves records and flushes after every
// invocation until Lambda shuts the environment down.
func (e *Extension) Run(ctx context.Context) error {
	l, err := net.Listen("tcp", e.Addr)
	if err != nil {
		return fmt.Errorf("usage extension: listening on %s: %w", e.Addr, err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	base := "http://" + e.API + "/2020-01-01/extension"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/register", bytes.NewReader([]byte(`{"events":["INVOKE","SHUTDOWN"]}`)))
	if err != nil {
		return err
	}
	req.Header.Set("Lambda-Extension-Name", e.Name)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("usage extension: registering: %w", err)
	}
	resp.Body.Close()
	id := resp.Header.Get("Lambda-Extension-Identifier")
	if resp.StatusCode != http.StatusOK || id == "" {
		return fmt.Errorf("usage extension: registering: status %d", resp.StatusCode)
	}
	for {
		// The next event arrives when the next invocation starts, that is
		// after the previous response went out: flush what it recorded.
		next, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/event/next", nil)
		if err != nil {
			return err
		}
		next.Header.Set("Lambda-Extension-Identifier", id)
		resp, err := http.DefaultClient.Do(next)
		if err != nil {
			_ = e.Flush()
			return fmt.Errorf("usage extension: waiting for the next event: %w", err)
		}
		var ev event
		err = json.NewDecoder(resp.Body).Decode(&ev)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("usage extension: reading an event: %w", err)
		}
		if ferr := e.Flush(); ferr != nil {
			return ferr
		}
		if ev.EventType == "SHUTDOWN" {
			return nil
		}
		if ev.EventType != "INVOKE" {
			return errors.New("usage extension: unexpected event " + ev.EventType)
		}
	}
}
