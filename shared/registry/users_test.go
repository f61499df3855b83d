package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	miniserver "github.com/truora/minidyn/server"
)

func entry(tenant, user string) *UserEntry {
	return &UserEntry{TenantID: tenant, Username: user, Role: "TenantUser", CreatedAt: "2026-12-01T10:00:00Z", UpdatedAt: "2026-12-01T10:00:00Z"}
}

func TestIndexGetUnindexUser(t *testing.T) {
	db, _ := localDynamo(t)
	s := New(db, "registry")
	ctx := context.Background()
	require.NoError(t, s.IndexUser(ctx, entry("acme", "ann@acme.example")))
	assert.ErrorIs(t, s.IndexUser(ctx, entry("acme", "ann@acme.example")), ErrUserExists, "a second create of one user must be refused")

	got, err := s.GetUser(ctx, "acme", "ann@acme.example")
	require.NoError(t, err)
	assert.Equal(t, entry("acme", "ann@acme.example"), got)
	_, err = s.GetUser(ctx, "globex", "ann@acme.example")
	assert.ErrorIs(t, err, ErrUserNotFound, "tenant globex must not find acme's user")

	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("registry"), Key: UserKey("acme", "ann@acme.example")})
	require.NoError(t, err)
	assert.Equal(t, &types.AttributeValueMemberS{Value: "USER#acme#ann@acme.example"}, out.Item["pk"])
	assert.Equal(t, &types.AttributeValueMemberS{Value: "USER#acme"}, out.Item["userTenant"], "the index partition must start with USER# too")

	got.Disabled, got.Role = true, "TenantAdmin"
	require.NoError(t, s.SaveUser(ctx, got))
	again, err := s.GetUser(ctx, "acme", "ann@acme.example")
	require.NoError(t, err)
	assert.Equal(t, got, again)

	require.NoError(t, s.UnindexUser(ctx, "acme", "ann@acme.example"))
	require.NoError(t, s.UnindexUser(ctx, "acme", "ann@acme.example"), "removing an entry already gone is fine")
	_, err = s.GetUser(ctx, "acme", "ann@acme.example")
	assert.ErrorIs(t, err, ErrUserNotFound)
	assert.Error(t, s.IndexUser(ctx, entry("", "x@y.example")), "an entry without a tenant must be refused")
}

func TestListUsersPagesOneTenantOnly(t *testing.T) {
	db, _ := localDynamo(t)
	s := New(db, "registry")
	ctx := context.Background()
	for i := range 7 {
		require.NoError(t, s.IndexUser(ctx, entry("acme", fmt.Sprintf("u%d@acme.example", i))))
	}
	require.NoError(t, s.IndexUser(ctx, entry("globex", "u9@globex.example")))
	require.NoError(t, s.Put(ctx, &Record{TenantID: "acme", Name: "acme", Status: "active", Version: 1}))

	var seen []string
	next := ""
	pages := 0
	for {
		page, cursor, err := s.ListUsers(ctx, "acme", 3, next)
		require.NoError(t, err)
		pages++
		for _, e := range page {
			assert.Equal(t, "acme", e.TenantID, "another tenant's user must never be listed")
			seen = append(seen, e.Username)
		}
		if cursor == "" {
			break
		}
		next = cursor
	}
	assert.Equal(t, 3, pages, "7 users in pages of 3, and no empty last page")
	assert.Equal(t, []string{"u0@acme.example", "u1@acme.example", "u2@acme.example", "u3@acme.example", "u4@acme.example", "u5@acme.example", "u6@acme.example"}, seen)

	_, cursor, err := s.ListUsers(ctx, "acme", 3, "")
	require.NoError(t, err)
	_, _, err = s.ListUsers(ctx, "globex", 3, cursor)
	assert.ErrorIs(t, err, ErrInvalidCursor, "acme's cursor must not page through globex")
	_, _, err = s.ListUsers(ctx, "acme", 3, "not-a-cursor")
	assert.ErrorIs(t, err, ErrInvalidCursor)

	all, cursor, err := s.ListUsers(ctx, "acme", 7, "")
	require.NoError(t, err)
	assert.Len(t, all, 7)
	assert.Empty(t, cursor, "an exact last page has no next")
}

func TestTenantUsersWalksEveryUserAndMayRemoveThem(t *testing.T) {
	db, _ := localDynamo(t)
	s := New(db, "registry")
	ctx := context.Background()
	for i := range 230 { // more than one walk page
		require.NoError(t, s.IndexUser(ctx, entry("acme", fmt.Sprintf("u%03d@acme.example", i))))
	}
	require.NoError(t, s.IndexUser(ctx, entry("globex", "g@globex.example")))
	n := 0
	require.NoError(t, s.TenantUsers(ctx, "acme", func(e UserEntry) error {
		n++
		assert.Equal(t, "acme", e.TenantID)
		return s.UnindexUser(ctx, e.TenantID, e.Username)
	}))
	assert.Equal(t, 230, n, "the walk must reach every user once, also while removing them")
	left, _, err := s.ListUsers(ctx, "acme", 10, "")
	require.NoError(t, err)
	assert.Empty(t, left)
	other, _, err := s.ListUsers(ctx, "globex", 10, "")
	require.NoError(t, err)
	assert.Len(t, other, 1, "walking acme must not touch globex")

	stop := errors.New("stop")
	assert.ErrorIs(t, s.TenantUsers(ctx, "globex", func(UserEntry) error { return stop }), stop)
}

func TestUserIndexSurfacesDynamoFailures(t *testing.T) {
	db, srv := localDynamo(t)
	s := New(db, "registry")
	srv.EmulateFailure(miniserver.FailureConditionInternalServerError)
	defer srv.EmulateFailure(miniserver.FailureConditionNone)
	_, err := s.GetUser(context.Background(), "acme", "ann@acme.example")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUserNotFound, "an outage must not look like an unknown user")
	assert.Error(t, s.IndexUser(context.Background(), entry("acme", "ann@acme.example")))
	assert.Error(t, s.TenantUsers(context.Background(), "acme", func(UserEntry) error { return nil }))
}

// failingGets is a registry table whose reads fail as DynamoDB fails an
// over-long key.
type failingGets struct{ API }

func (failingGets) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, errors.New("ValidationException: One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes")
}

// A username longer than any email (or a tenant id longer than any
// tenant's) is no user, answered without a read: GET /users/<5,000
// characters> was a 503 for what is bad input.
func TestOverLongUsernamesAreNotFoundWithoutARead(t *testing.T) {
	s := New(failingGets{}, "registry")
	_, err := s.GetUser(context.Background(), "acme", strings.Repeat("a", 5000)+"@acme.example")
	assert.ErrorIs(t, err, ErrUserNotFound, "an over-long username reached DynamoDB (a 5xx for bad input)")
	_, err = s.GetUser(context.Background(), strings.Repeat("t", 64), "ann@acme.example")
	assert.ErrorIs(t, err, ErrUserNotFound, "an over-long tenant id reached DynamoDB (a 5xx for bad input)")
	_, err = s.GetUser(context.Background(), "acme", "ann@acme.example")
	assert.NotErrorIs(t, err, ErrUserNotFound, "a plausible username must still be read")
}
