package auth

import (
	"context"
	"errors"
	"sync"
	"time"
)

// CachedTenants keeps registry answers for a short time, so a burst of
// requests from one tenant costs one registry read. It remembers when each
// answer was read: the authorizer never trusts an answer older than its
// decision TTL, so caching here does not lengthen how long a suspended
// tenant keeps access.
type CachedTenants struct {
	inner TenantLookup
	ttl   time.Duration
	now   func() time.Time

	mu      sync.Mutex
	entries map[string]cachedTenant
}

type cachedTenant struct {
	tenant  *Tenant
	err     error
	fetched time.Time
}

// NewCachedTenants caches inner's answers (found or not found) for ttl.
func NewCachedTenants(inner TenantLookup, ttl time.Duration, now func() time.Time) *CachedTenants {
	if now == nil {
		now = time.Now
	}
	return &CachedTenants{inner: inner, ttl: ttl, now: now, entries: map[string]cachedTenant{}}
}

// Tenant returns the cached answer, or asks the registry.
func (c *CachedTenants) Tenant(ctx context.Context, id string) (*Tenant, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < c.ttl {
		return e.tenant, e.err
	}
	t, err := c.inner.Tenant(ctx, id)
	if err != nil && !errors.Is(err, ErrTenantNotFound) {
		return nil, err // failures are not cached
	}
	if t != nil {
		copied := *t
		copied.FetchedAt = now
		t = &copied
	}
	c.mu.Lock()
	if len(c.entries) >= MaxCachedDecisions {
		clear(c.entries)
	}
	c.entries[id] = cachedTenant{tenant: t, err: err, fetched: now}
	c.mu.Unlock()
	return t, err
}
