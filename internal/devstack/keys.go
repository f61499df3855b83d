package devstack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Keys is the local stand-in of API Gateway's API keys and usage plans: it
// implements controlplane.APIKeys for the registration function, and the
// gateway asks it, per request, whether the key's usage plan lets the
// request through (token bucket of rate and burst, and a daily quota).
type Keys struct {
	mu    sync.Mutex
	plans map[string]Limits
	keys  map[string]*apiKey // by value
	byID  map[string]*apiKey
	now   func() time.Time
}

type apiKey struct {
	id, value, tenant, plan string
	tokens                  float64
	refilled                time.Time
	day                     string
	used                    int
}

// Throttle outcomes.
var (
	ErrThrottled     = errors.New("throttled")
	ErrQuotaExceeded = errors.New("quota exceeded")
	ErrInvalidKey    = errors.New("invalid api key")
)

func newKeys(plans map[string]Limits) *Keys {
	return &Keys{plans: plans, keys: map[string]*apiKey{}, byID: map[string]*apiKey{}, now: time.Now}
}

// AddPlan adds a usage plan (a silo tenant's stack brings its own).
func (k *Keys) AddPlan(id string, l Limits) {
	k.mu.Lock()
	k.plans[id] = l
	k.mu.Unlock()
}

// Create makes a key for the tenant on the usage plan.
func (k *Keys) Create(_ context.Context, tenantID, planID string) (string, string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.plans[planID]; !ok {
		return "", "", fmt.Errorf("NotFoundException: usage plan %s does not exist", planID)
	}
	raw := make([]byte, 30)
	_, _ = rand.Read(raw)
	idb := make([]byte, 5)
	_, _ = rand.Read(idb)
	key := &apiKey{id: fmt.Sprintf("%x", idb), value: base64.RawURLEncoding.EncodeToString(raw), tenant: tenantID, plan: planID}
	k.put(key)
	return key.id, key.value, nil
}

// restore re-registers a key kept in the registry across restarts.
func (k *Keys) restore(id, value, tenant, planID string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.byID[id]; !ok {
		k.put(&apiKey{id: id, value: value, tenant: tenant, plan: planID})
	}
}

func (k *Keys) put(key *apiKey) {
	l := k.plans[key.plan]
	key.tokens, key.refilled = float64(l.Burst), k.now()
	k.keys[key.value], k.byID[key.id] = key, key
}

// Move puts a key on another usage plan (a silo tenant's own plan once its
// stack exists).
func (k *Keys) Move(id, planID string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	key, ok := k.byID[id]
	if !ok {
		return fmt.Errorf("NotFoundException: api key %s", id)
	}
	key.plan = planID
	return nil
}

// Attach puts a key on a usage plan (its only one: the local stand-in keeps
// one plan per key, as each tenant's key serves one API); nothing to do is
// success. A key still on another plan is refused, as API Gateway refuses
// a key on two usage plans of the same stage: silently moving it would let
// the loser of two racing tier changes leave the key on a plan the
// tenant's record does not name.
func (k *Keys) Attach(_ context.Context, id, planID string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	key, ok := k.byID[id]
	if !ok {
		return fmt.Errorf("NotFoundException: api key %s", id)
	}
	if _, ok := k.plans[planID]; !ok {
		return fmt.Errorf("NotFoundException: usage plan %s does not exist", planID)
	}
	if key.plan != "" && key.plan != planID {
		return fmt.Errorf("ConflictException: api key %s cannot reference multiple usage plans with the same API stage (it is on %s)", id, key.plan)
	}
	key.plan = planID
	return nil
}

// Detach takes a key off a usage plan; a key not on it is success.
func (k *Keys) Detach(_ context.Context, id, planID string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.byID[id]; ok && key.plan == planID {
		key.plan = ""
	}
	return nil
}

// Delete removes a key; a key already gone is fine.
func (k *Keys) Delete(_ context.Context, id string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.byID[id]; ok {
		delete(k.keys, key.value)
		delete(k.byID, id)
	}
	return nil
}

// Admit takes one request from the key's bucket and quota. A key that is
// on none of the API's usage plans is invalid for it, as in API Gateway.
func (k *Keys) Admit(value string, apiPlans func(planID string) bool) (Limits, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	key, ok := k.keys[value]
	if !ok || !apiPlans(key.plan) {
		return Limits{}, ErrInvalidKey
	}
	l := k.plans[key.plan]
	now := k.now()
	key.tokens = math.Min(float64(l.Burst), key.tokens+now.Sub(key.refilled).Seconds()*l.Rate)
	key.refilled = now
	if day := now.UTC().Format("2006-01-02"); day != key.day {
		key.day, key.used = day, 0
	}
	if l.QuotaPerDay > 0 && key.used >= l.QuotaPerDay {
		return l, ErrQuotaExceeded
	}
	if key.tokens < 1 {
		return l, ErrThrottled
	}
	key.tokens--
	key.used++
	return l, nil
}
