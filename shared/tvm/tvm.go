// Package tvm is the token vending machine of pooled functions: per request
// it hands out AWS credentials that can only touch the caller's tenant. The
// credentials come from STS AssumeRole on the tenant access role with the
// session tag tenant_id; the role's policy allows DynamoDB items only where
// the leading key equals that tag. Credentials are cached per tenant until
// shortly before they expire. There is no fallback: if STS fails, the
// request fails, it never runs with broader credentials.
package tvm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"golang.org/x/sync/singleflight"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// TagKey is the session tag that scopes a session to one tenant.
const TagKey = "tenant_id"

// SessionDuration is the shortest session STS grants (15 minutes).
const SessionDuration = 15 * time.Minute

// RefreshBefore is how long before expiry cached credentials are renewed,
// so no request starts with credentials about to expire.
const RefreshBefore = 2 * time.Minute

// ErrUnavailable means STS could not vend credentials: the request should
// fail with 503 and may be retried.
var ErrUnavailable = errors.New("tenant credentials are unavailable")

// ErrInvalidTenant means the tenant id is not one a session may carry.
var ErrInvalidTenant = errors.New("invalid tenant id")

// STS is the part of the STS client the vendor uses.
type STS interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// Vendor vends tenant-scoped credentials. It is safe for concurrent use.
type Vendor struct {
	sts     STS
	roleArn string
	base    aws.Config
	now     func() time.Time

	flight singleflight.Group
	mu     sync.RWMutex
	cache  map[string]aws.Credentials
}

// New returns a vendor that assumes roleArn; base is the function's own
// config (region, retries) that tenant configs are derived from.
func New(client STS, roleArn string, base aws.Config) *Vendor {
	return &Vendor{sts: client, roleArn: roleArn, base: base, now: time.Now, cache: map[string]aws.Credentials{}}
}

// Credentials returns credentials scoped to the tenant.
func (v *Vendor) Credentials(ctx context.Context, tenantID string) (aws.Credentials, error) {
	if !tenancy.ValidSlug(tenantID) {
		return aws.Credentials{}, fmt.Errorf("%w: %q", ErrInvalidTenant, tenantID)
	}
	v.mu.RLock()
	creds, ok := v.cache[tenantID]
	v.mu.RUnlock()
	if ok && v.now().Before(creds.Expires.Add(-RefreshBefore)) {
		return creds, nil
	}
	// One AssumeRole per tenant at a time, however many requests wait.
	out, err, _ := v.flight.Do(tenantID, func() (any, error) {
		return v.assume(ctx, tenantID)
	})
	if err != nil {
		if ok && v.now().Before(creds.Expires.Add(-10*time.Second)) {
			return creds, nil // still valid: the renewal can wait for STS
		}
		return aws.Credentials{}, err
	}
	return out.(aws.Credentials), nil
}

func (v *Vendor) assume(ctx context.Context, tenantID string) (aws.Credentials, error) {
	out, err := v.sts.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:           aws.String(v.roleArn),
		RoleSessionName:   aws.String(SessionName(tenantID)),
		DurationSeconds:   aws.Int32(int32(SessionDuration / time.Second)),
		Tags:              []types.Tag{{Key: aws.String(TagKey), Value: aws.String(tenantID)}},
		TransitiveTagKeys: []string{TagKey},
	})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("%w: assuming the tenant role for %s: %v", ErrUnavailable, tenantID, err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil || c.Expiration == nil {
		return aws.Credentials{}, fmt.Errorf("%w: STS returned no credentials for %s", ErrUnavailable, tenantID)
	}
	creds := aws.Credentials{
		AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken,
		Source: "tvm:" + tenantID, CanExpire: true, Expires: *c.Expiration,
	}
	v.mu.Lock()
	v.cache[tenantID] = creds
	v.mu.Unlock()
	return creds, nil
}

// Config returns an AWS config whose credentials are the tenant's: clients
// made from it can only reach the tenant's items.
func (v *Vendor) Config(ctx context.Context, tenantID string) (aws.Config, error) {
	if _, err := v.Credentials(ctx, tenantID); err != nil {
		return aws.Config{}, err
	}
	cfg := v.base.Copy()
	cfg.Credentials = aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		return v.Credentials(ctx, tenantID)
	})
	return cfg, nil
}

// SessionName names the STS session after the tenant, so CloudTrail shows
// which tenant each data access was for. STS allows 2-64 characters.
func SessionName(tenantID string) string {
	name := "tenant-" + tenantID
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}
