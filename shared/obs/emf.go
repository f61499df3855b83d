package obs

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Metric names the code emits per tenant (namespace from the stack's
// observability config, dimensions DimTenant/DimTier/DimService). The
// dashboard and the alarms reference only these; a test holds them to it.
const (
	MetricRequests      = "Requests"
	MetricClientErrors  = "ClientErrors"
	MetricServerErrors  = "ServerErrors"
	MetricLatency       = "Latency"
	MetricItemsWritten  = "ItemsWritten"
	MetricReadCapacity  = "ConsumedReadCapacity"
	MetricWriteCapacity = "ConsumedWriteCapacity"
	// Metrics of log metric filters (infra/observability.go).
	MetricAuthorizerDenials    = "AuthorizerDenials"
	MetricRegistrationFailures = "RegistrationFailures"
)

// Dimension names of the per-tenant metrics.
const (
	DimTenant  = "tenant_id"
	DimTier    = "tier"
	DimService = "service"
)

// DimensionSets are the aggregations every usage line is published under:
// per tenant and service, per tier and service (the dashboard's per-tier
// widgets), and per tenant alone (the daily usage records).
var DimensionSets = [][]string{{DimTenant, DimTier, DimService}, {DimTier, DimService}, {DimTenant}}

// DefaultNamespace is the namespace when the stack sets none.
const DefaultNamespace = "tenantforge"

// EnvNamespace is the environment variable naming the metrics namespace.
const EnvNamespace = "TENANTFORGE_METRICS_NAMESPACE"

// Value is one metric of an EMF document. Values holds one number or, for
// distributions such as latency, up to MaxValues samples.
type Value struct {
	Name   string
	Unit   string
	Values []float64
}

// MaxValues is the most samples one EMF member may carry.
const MaxValues = 100

// EMF renders one Embedded Metric Format document (one log line, no
// newline) and validates it before returning it.
func EMF(namespace string, ts time.Time, dims [][]string, props map[string]string, values []Value) ([]byte, error) {
	metrics := make([]map[string]string, 0, len(values))
	doc := map[string]any{}
	for k, v := range props {
		doc[k] = v
	}
	for _, v := range values {
		metrics = append(metrics, map[string]string{"Name": v.Name, "Unit": v.Unit})
		if len(v.Values) == 1 {
			doc[v.Name] = v.Values[0]
		} else {
			doc[v.Name] = v.Values
		}
	}
	doc["_aws"] = map[string]any{
		"Timestamp":         ts.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{"Namespace": namespace, "Dimensions": dims, "Metrics": metrics}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	if err := ValidateEMF(b); err != nil {
		return nil, err
	}
	return b, nil
}

// units CloudWatch accepts.
var units = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
	"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
	"Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
	"Gigabits/Second", "Terabits/Second", "Count/Second", "None"}

// ValidateEMF checks one log line against the Embedded Metric Format
// specification (the rules CloudWatch applies before it extracts metrics):
// an _aws object with an integer Timestamp and 1 CloudWatchMetrics
// directive or more; each with a Namespace of 1-255 characters, Dimensions
// as sets of at most 30 names that are string members of the root, and
// 1-100 Metrics whose Name is a numeric member of the root (a number or an
// array of at most 100 numbers) and whose Unit, when set, is a CloudWatch
// unit.
func ValidateEMF(line []byte) error {
	var root map[string]any
	if err := json.Unmarshal(line, &root); err != nil {
		return fmt.Errorf("emf: not a JSON object: %w", err)
	}
	meta, ok := root["_aws"].(map[string]any)
	if !ok {
		return errors.New("emf: no _aws metadata object")
	}
	ts, ok := meta["Timestamp"].(float64)
	if !ok || ts != math.Trunc(ts) || ts <= 0 {
		return errors.New("emf: _aws.Timestamp must be a positive integer of milliseconds since the epoch")
	}
	directives, ok := meta["CloudWatchMetrics"].([]any)
	if !ok || len(directives) == 0 {
		return errors.New("emf: _aws.CloudWatchMetrics must be a non-empty array")
	}
	for i, d := range directives {
		dir, ok := d.(map[string]any)
		if !ok {
			return fmt.Errorf("emf: CloudWatchMetrics[%d] is not an object", i)
		}
		ns, _ := dir["Namespace"].(string)
		if ns == "" || len(ns) > 255 {
			return fmt.Errorf("emf: CloudWatchMetrics[%d].Namespace must be 1-255 characters", i)
		}
		sets, ok := dir["Dimensions"].([]any)
		if !ok {
			return fmt.Errorf("emf: CloudWatchMetrics[%d].Dimensions must be an array of arrays", i)
		}
		for _, s := range sets {
			names, ok := s.([]any)
			if !ok || len(names) > 30 {
				return fmt.Errorf("emf: CloudWatchMetrics[%d].Dimensions holds a set that is not an array of at most 30 names", i)
			}
			for _, n := range names {
				name, _ := n.(string)
				if v, ok := root[name].(string); !ok || v == "" {
					return fmt.Errorf("emf: dimension %q has no non-empty string value at the root", name)
				}
			}
		}
		metrics, ok := dir["Metrics"].([]any)
		if !ok || len(metrics) == 0 || len(metrics) > 100 {
			return fmt.Errorf("emf: CloudWatchMetrics[%d].Metrics must hold 1 to 100 metrics", i)
		}
		for _, m := range metrics {
			def, ok := m.(map[string]any)
			if !ok {
				return errors.New("emf: a metric definition is not an object")
			}
			name, _ := def["Name"].(string)
			if name == "" || len(name) > 1024 {
				return errors.New("emf: a metric has no Name")
			}
			if u, set := def["Unit"]; set {
				if s, _ := u.(string); !slices.Contains(units, s) {
					return fmt.Errorf("emf: metric %s has unit %v, which CloudWatch does not know", name, u)
				}
			}
			switch v := root[name].(type) {
			case float64:
			case []any:
				if len(v) == 0 || len(v) > MaxValues {
					return fmt.Errorf("emf: metric %s has %d values; use 1 to %d", name, len(v), MaxValues)
				}
				for _, x := range v {
					if _, ok := x.(float64); !ok {
						return fmt.Errorf("emf: metric %s has a value that is not a number", name)
					}
				}
			default:
				return fmt.Errorf("emf: metric %s has no numeric value at the root", name)
			}
		}
	}
	return nil
}
