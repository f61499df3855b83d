package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// ErrUnknownKey means the token names a key the issuer's JWKS does not hold,
// even after a refresh.
var ErrUnknownKey = errors.New("token signed with an unknown key")

// KeySet holds the issuer's public keys (JWKS). It fetches them once, keeps
// them, and refreshes them when a token names a key id it does not know:
// Cognito rotates keys by publishing the new one first. Refreshes are
// rate-limited, so garbage key ids cannot turn into a flood of fetches.
type KeySet struct {
	url        string
	minRefresh time.Duration
	fetch      func(ctx context.Context, url string) (jwk.Set, error)
	now        func() time.Time

	mu        sync.RWMutex
	set       jwk.Set
	lastFetch time.Time
	fetches   int
}

// NewKeySet returns a key set for the JWKS at url that refreshes at most once
// per minRefresh.
func NewKeySet(url string, minRefresh time.Duration) *KeySet {
	return &KeySet{
		url:        url,
		minRefresh: minRefresh,
		fetch:      func(ctx context.Context, u string) (jwk.Set, error) { return jwk.Fetch(ctx, u) },
		now:        time.Now,
	}
}

// Key returns the key with the given id.
func (k *KeySet) Key(ctx context.Context, kid string) (jwk.Key, error) {
	k.mu.RLock()
	set := k.set
	k.mu.RUnlock()
	if set != nil {
		if key, ok := set.LookupKeyID(kid); ok {
			return key, nil
		}
	}
	set, err := k.refresh(ctx, set)
	if err != nil {
		return nil, err
	}
	if key, ok := set.LookupKeyID(kid); ok {
		return key, nil
	}
	return nil, ErrUnknownKey
}

// Fetches reports how many times the JWKS was fetched.
func (k *KeySet) Fetches() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.fetches
}

// refresh fetches the JWKS unless another caller already replaced seen or
// the last fetch was too recent.
func (k *KeySet) refresh(ctx context.Context, seen jwk.Set) (jwk.Set, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.set != seen && k.set != nil {
		return k.set, nil // someone refreshed while we waited
	}
	if k.set != nil && k.now().Sub(k.lastFetch) < k.minRefresh {
		return k.set, nil
	}
	set, err := k.fetch(ctx, k.url)
	k.lastFetch = k.now()
	k.fetches++
	if err != nil {
		if k.set != nil {
			return k.set, nil // keep serving the keys we have
		}
		return nil, fmt.Errorf("fetching the issuer's keys from %s: %w", k.url, err)
	}
	k.set = set
	return set, nil
}
