package obs

import (
	"context"
	"sync"
)

// Meter adds up what one request cost: the items it wrote and the DynamoDB
// capacity it consumed. The router puts one in the request's context; the
// store adds to it; the router reports the totals with the request.
type Meter struct {
	mu   sync.Mutex
	snap Usage
}

// Usage is a meter's totals.
type Usage struct {
	ItemsWritten  int     `json:"itemsWritten,omitempty"`
	ReadCapacity  float64 `json:"readCapacityUnits,omitempty"`
	WriteCapacity float64 `json:"writeCapacityUnits,omitempty"`
}

type meterKey struct{}

// WithMeter returns a context carrying a new meter.
func WithMeter(ctx context.Context) (context.Context, *Meter) {
	m := &Meter{}
	return context.WithValue(ctx, meterKey{}, m), m
}

// MeterFrom returns the request's meter; nil (which ignores additions)
// when there is none.
func MeterFrom(ctx context.Context) *Meter {
	m, _ := ctx.Value(meterKey{}).(*Meter)
	return m
}

// AddWritten counts items written.
func (m *Meter) AddWritten(n int) {
	if m == nil || n <= 0 {
		return
	}
	m.mu.Lock()
	m.snap.ItemsWritten += n
	m.mu.Unlock()
}

// AddCapacity counts consumed capacity units.
func (m *Meter) AddCapacity(read, write float64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.snap.ReadCapacity += read
	m.snap.WriteCapacity += write
	m.mu.Unlock()
}

// Usage returns the totals so far.
func (m *Meter) Usage() Usage {
	if m == nil {
		return Usage{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap
}

type tenantKey struct{}

// WithTenant returns a context naming the tenant the work is for: every
// trace subsegment started under it carries the TenantId annotation.
func WithTenant(ctx context.Context, tenantID string) context.Context {
	if tenantID == "" {
		return ctx
	}
	return context.WithValue(ctx, tenantKey{}, tenantID)
}

// TenantFrom returns the context's tenant, or "".
func TenantFrom(ctx context.Context) string {
	t, _ := ctx.Value(tenantKey{}).(string)
	return t
}
