package tvm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSTS records AssumeRole calls, answers with credentials named after
// the session's tenant tag, and can fail or stall on demand.
type fakeSTS struct {
	mu    sync.Mutex
	calls []*sts.AssumeRoleInput
	fail  error
	delay time.Duration
	now   func() time.Time
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	if f.fail != nil {
		return nil, f.fail
	}
	tenant := *in.Tags[0].Value
	return &sts.AssumeRoleOutput{Credentials: &types.Credentials{
		AccessKeyId:     aws.String("ASIA" + tenant),
		SecretAccessKey: aws.String("secret-" + tenant),
		SessionToken:    aws.String(fmt.Sprintf("token-%s-%d", tenant, len(f.calls))),
		Expiration:      aws.Time(f.now().Add(time.Duration(*in.DurationSeconds) * time.Second)),
	}}, nil
}

func (f *fakeSTS) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.calls) }

const roleArn = "arn:aws:iam::123456789012:role/tenantforge-dev-tenant-access"

func newVendor() (*Vendor, *fakeSTS, *time.Time) {
	clock := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	f := &fakeSTS{}
	f.now = func() time.Time { return clock }
	v := New(f, roleArn, aws.Config{Region: "eu-west-1"})
	v.now = f.now
	return v, f, &clock
}

func TestAssumesTheTenantRoleWithTheTenantTag(t *testing.T) {
	v, f, _ := newVendor()
	creds, err := v.Credentials(context.Background(), "acme")
	require.NoError(t, err)
	assert.Equal(t, "ASIAacme", creds.AccessKeyID)
	require.Equal(t, 1, f.count())
	in := f.calls[0]
	assert.Equal(t, roleArn, *in.RoleArn)
	assert.Equal(t, "tenant-acme", *in.RoleSessionName, "CloudTrail must show which tenant a session was for")
	assert.Equal(t, int32(900), *in.DurationSeconds, "the shortest session STS grants")
	assert.Equal(t, []types.Tag{{Key: aws.String("tenant_id"), Value: aws.String("acme")}}, in.Tags)
	assert.Equal(t, []string{"tenant_id"}, in.TransitiveTagKeys, "the tag must survive role chaining")
	assert.Nil(t, in.Policy)
}

func TestCachesPerTenantUntilShortlyBeforeExpiry(t *testing.T) {
	v, f, clock := newVendor()
	ctx := context.Background()
	a1, err := v.Credentials(ctx, "acme")
	require.NoError(t, err)
	for range 10 {
		a, err := v.Credentials(ctx, "acme")
		require.NoError(t, err)
		assert.Equal(t, a1, a)
	}
	assert.Equal(t, 1, f.count(), "cached credentials must not call STS again")

	g, err := v.Credentials(ctx, "globex")
	require.NoError(t, err)
	assert.Equal(t, "ASIAglobex", g.AccessKeyID, "each tenant gets its own session")
	assert.Equal(t, 2, f.count())

	*clock = clock.Add(12*time.Minute + 59*time.Second)
	_, err = v.Credentials(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, 2, f.count(), "13 minutes in, 2 minutes before expiry, the session is still used")
	*clock = clock.Add(2 * time.Second)
	a2, err := v.Credentials(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, 3, f.count(), "within 2 minutes of expiry the session is renewed")
	assert.NotEqual(t, a1.SessionToken, a2.SessionToken)
}

func TestConcurrentRequestsShareOneAssumeRole(t *testing.T) {
	v, f, _ := newVendor()
	f.delay = 20 * time.Millisecond
	var wg sync.WaitGroup
	var failures atomic.Int32
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := v.Credentials(context.Background(), "acme")
			if err != nil || c.AccessKeyID != "ASIAacme" {
				failures.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, failures.Load())
	assert.Equal(t, 1, f.count(), "a burst of requests for one tenant must cost one AssumeRole")
}

func TestSTSFailureIsUnavailableAndNeverFallsBack(t *testing.T) {
	v, f, clock := newVendor()
	f.fail = errors.New("ThrottlingException: Rate exceeded")
	_, err := v.Credentials(context.Background(), "acme")
	require.ErrorIs(t, err, ErrUnavailable, "the handler maps this to 503")
	_, err = v.Config(context.Background(), "acme")
	require.ErrorIs(t, err, ErrUnavailable, "no config, so no client with the function's own credentials")

	f.fail = nil
	_, err = v.Credentials(context.Background(), "acme")
	require.NoError(t, err, "failures are not cached: the next request retries")

	// A renewal that fails while the session is still valid keeps serving it;
	// an expired session is never served.
	f.fail = errors.New("down")
	*clock = clock.Add(14 * time.Minute)
	_, err = v.Credentials(context.Background(), "acme")
	assert.NoError(t, err, "a minute of validity left: keep using the tenant's own session")
	*clock = clock.Add(2 * time.Minute)
	_, err = v.Credentials(context.Background(), "acme")
	assert.ErrorIs(t, err, ErrUnavailable)
}

func TestRejectsInvalidTenantIDsWithoutCallingSTS(t *testing.T) {
	v, f, _ := newVendor()
	for _, id := range []string{"", "ACME", "a", "acme/../globex", "_system"} {
		_, err := v.Credentials(context.Background(), id)
		assert.ErrorIs(t, err, ErrInvalidTenant, id)
	}
	assert.Zero(t, f.count())
}

func TestConfigCarriesTheTenantsCredentials(t *testing.T) {
	v, _, _ := newVendor()
	cfg, err := v.Config(context.Background(), "acme")
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", cfg.Region)
	creds, err := cfg.Credentials.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "ASIAacme", creds.AccessKeyID)
	assert.Equal(t, "tvm:acme", creds.Source)
}

func TestSessionNameFitsSTS(t *testing.T) {
	long := "a123456789012345678901234567890123456789012345678901234567890bc"
	assert.Len(t, SessionName(long), 64)
}
