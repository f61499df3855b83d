package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// Errors of the user index.
var (
	ErrUserNotFound = errors.New("user not in the tenant's index")
	ErrUserExists   = errors.New("user already in the tenant's index")
)

// UserEntry is a user in its tenant's index (tenancy.UserItemKey). The
// user pool is the truth about a user; the entry says which tenant the user
// belongs to, so a tenant's users can be listed and walked, and remembers
// the role and whether the tenant's admin disabled the user, for lists and
// for re-enabling a tenant after a suspension.
type UserEntry struct {
	TenantID  string `dynamodbav:"tenantId"`
	Username  string `dynamodbav:"username"`
	Role      string `dynamodbav:"role"`
	Disabled  bool   `dynamodbav:"disabled"`
	CreatedAt string `dynamodbav:"createdAt"`
	UpdatedAt string `dynamodbav:"updatedAt"`
}

// maxUsername is the longest username: an email address (RFC 5321).
const maxUsername = 254

// UserKey is the registry key of a tenant's user.
func UserKey(tenantID, username string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{tenancy.RegistryPartitionKey: &types.AttributeValueMemberS{Value: tenancy.UserItemKey(tenantID, username)}}
}

func userItem(e *UserEntry) (map[string]types.AttributeValue, error) {
	if !tenancy.ValidSlug(e.TenantID) || e.Username == "" {
		return nil, fmt.Errorf("registry: a user entry needs a tenant id and a username (got %q, %q)", e.TenantID, e.Username)
	}
	item, err := attributevalue.MarshalMap(e)
	if err != nil {
		return nil, err
	}
	item[tenancy.RegistryPartitionKey] = &types.AttributeValueMemberS{Value: tenancy.UserItemKey(e.TenantID, e.Username)}
	item[tenancy.TenantUsersIndexKey] = &types.AttributeValueMemberS{Value: tenancy.TenantUsersKey(e.TenantID)}
	return item, nil
}

// IndexUser adds a user to its tenant's index; ErrUserExists if the entry
// is there already.
func (s *Store) IndexUser(ctx context.Context, e *UserEntry) error {
	item, err := userItem(e)
	if err != nil {
		return err
	}
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(tenancy.RegistryPartitionKey))).Build()
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: item,
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ErrUserExists
	}
	if err != nil {
		return fmt.Errorf("registry: indexing user %s of tenant %s: %w", e.Username, e.TenantID, err)
	}
	return nil
}

// SaveUser writes a user's entry whether or not it exists (a role or
// disabled flag changed, or a registration retried).
func (s *Store) SaveUser(ctx context.Context, e *UserEntry) error {
	item, err := userItem(e)
	if err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return fmt.Errorf("registry: saving user %s of tenant %s: %w", e.Username, e.TenantID, err)
	}
	return nil
}

// UnindexUser removes a user from its tenant's index; an entry already gone
// is fine.
func (s *Store) UnindexUser(ctx context.Context, tenantID, username string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: UserKey(tenantID, username)})
	if err != nil {
		return fmt.Errorf("registry: unindexing user %s of tenant %s: %w", username, tenantID, err)
	}
	return nil
}

// GetUser reads a user's entry in a tenant's index (strongly consistent);
// ErrUserNotFound if the tenant has no such user.
func (s *Store) GetUser(ctx context.Context, tenantID, username string) (*UserEntry, error) {
	if len(tenantID) > maxSlug || len(username) > maxUsername {
		// No user has such a name; DynamoDB would refuse the over-long
		// key (a 5xx for what is bad input).
		return nil, ErrUserNotFound
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: UserKey(tenantID, username), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("registry: reading user %s of tenant %s: %w", username, tenantID, err)
	}
	if len(out.Item) == 0 {
		return nil, ErrUserNotFound
	}
	var e UserEntry
	if err := attributevalue.UnmarshalMap(out.Item, &e); err != nil {
		return nil, fmt.Errorf("registry: user %s of tenant %s: %w", username, tenantID, err)
	}
	return &e, nil
}

// userCursor is the last user of a page.
type userCursor struct {
	Tenant   string `json:"t"`
	Username string `json:"u"`
}

// ListUsers reads up to limit of a tenant's users in username order after
// the cursor, and returns the cursor of the next page ("" at the end). A
// cursor is only valid for the tenant whose list gave it out. The index
// is eventually consistent: a user created a moment ago may be missing.
func (s *Store) ListUsers(ctx context.Context, tenantID string, limit int, after string) ([]UserEntry, string, error) {
	if limit < 1 {
		return nil, "", fmt.Errorf("registry: limit %d must be at least 1", limit)
	}
	var from string
	if after != "" {
		var c userCursor
		raw, err := base64.RawURLEncoding.DecodeString(after)
		if err != nil || json.Unmarshal(raw, &c) != nil || c.Tenant != tenantID || c.Username == "" {
			return nil, "", ErrInvalidCursor
		}
		from = c.Username
	}
	// One more than asked: if it comes, there is a next page, and the
	// cursor is the last item returned (no empty last page).
	items, err := s.queryUsers(ctx, tenantID, limit+1, from)
	if err != nil {
		return nil, "", err
	}
	if len(items) <= limit {
		return items, "", nil
	}
	items = items[:limit]
	raw, err := json.Marshal(userCursor{Tenant: tenantID, Username: items[limit-1].Username})
	if err != nil {
		return nil, "", err
	}
	return items, base64.RawURLEncoding.EncodeToString(raw), nil
}

// queryUsers reads up to limit of a tenant's users whose username sorts
// after the given one ("": from the first). It continues by key condition,
// not by DynamoDB's start key, so a caller may remove the users it was
// given before asking for more.
func (s *Store) queryUsers(ctx context.Context, tenantID string, limit int, after string) ([]UserEntry, error) {
	out := []UserEntry{}
	for len(out) < limit {
		key := expression.Key(tenancy.TenantUsersIndexKey).Equal(expression.Value(tenancy.TenantUsersKey(tenantID)))
		if after != "" {
			key = key.And(expression.Key(tenancy.TenantUsersIndexSortKey).GreaterThan(expression.Value(after)))
		}
		q, err := expression.NewBuilder().WithKeyCondition(key).Build()
		if err != nil {
			return nil, err
		}
		page, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(s.table), IndexName: aws.String(tenancy.TenantUsersIndex),
			KeyConditionExpression: q.KeyCondition(), ExpressionAttributeNames: q.Names(), ExpressionAttributeValues: q.Values(),
			Limit: aws.Int32(int32(limit - len(out))),
		})
		if err != nil {
			return nil, fmt.Errorf("registry: listing the users of tenant %s: %w", tenantID, err)
		}
		for _, item := range page.Items {
			var e UserEntry
			if err := attributevalue.UnmarshalMap(item, &e); err != nil {
				return nil, fmt.Errorf("registry: a user of tenant %s: %w", tenantID, err)
			}
			out = append(out, e)
		}
		if len(page.LastEvaluatedKey) == 0 || len(page.Items) == 0 {
			break
		}
		after = out[len(out)-1].Username
	}
	return out, nil
}

// TenantUsers calls fn with every user in a tenant's index, page by page,
// and stops at fn's first error. fn may remove the user it is given.
// Suspension, activation and offboarding walk a tenant's users with it.
func (s *Store) TenantUsers(ctx context.Context, tenantID string, fn func(UserEntry) error) error {
	const page = 100
	after := ""
	for {
		users, err := s.queryUsers(ctx, tenantID, page, after)
		if err != nil {
			return err
		}
		for _, u := range users {
			if err := fn(u); err != nil {
				return err
			}
		}
		if len(users) < page {
			return nil
		}
		after = users[len(users)-1].Username
	}
}
