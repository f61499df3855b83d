package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go/middleware"
)

// createUserPool creates the user pool, its web client and its groups in
// cognito-local as the plan describes them.
func createUserPool(ctx context.Context, c *cip.Client, p UserPool) (poolID, clientID string, err error) {
	var schema []ciptypes.SchemaAttributeType
	for _, a := range p.Schema {
		s := ciptypes.SchemaAttributeType{Name: aws.String(a.Name), AttributeDataType: ciptypes.AttributeDataType(a.Type), Mutable: aws.Bool(a.Mutable)}
		if a.MinLen != "" || a.MaxLen != "" {
			s.StringAttributeConstraints = &ciptypes.StringAttributeConstraintsType{MinLength: aws.String(a.MinLen), MaxLength: aws.String(a.MaxLen)}
		}
		schema = append(schema, s)
	}
	var usernames []ciptypes.UsernameAttributeType
	for _, u := range p.UsernameAttrs {
		usernames = append(usernames, ciptypes.UsernameAttributeType(u))
	}
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String(p.Name), UsernameAttributes: usernames, Schema: schema,
		AdminCreateUserConfig: &ciptypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: p.AdminOnly},
		Policies: &ciptypes.UserPoolPolicyType{PasswordPolicy: &ciptypes.PasswordPolicyType{
			MinimumLength: aws.Int32(int32(p.MinPassword)), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true,
		}},
	})
	if err != nil {
		return "", "", fmt.Errorf("creating the user pool: %w", err)
	}
	poolID = aws.ToString(pool.UserPool.Id)
	for _, g := range p.Groups {
		if _, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String(g.Name),
			Description: aws.String(g.Description), Precedence: aws.Int32(int32(g.Precedence))}); err != nil {
			return "", "", fmt.Errorf("creating group %s: %w", g.Name, err)
		}
	}
	var flows []ciptypes.ExplicitAuthFlowsType
	for _, f := range p.AuthFlows {
		flows = append(flows, ciptypes.ExplicitAuthFlowsType(f))
	}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String(p.ClientName), ExplicitAuthFlows: flows,
		ReadAttributes: p.ReadAttrs, WriteAttributes: p.WriteAttrs,
	})
	if err != nil {
		return "", "", fmt.Errorf("creating the app client: %w", err)
	}
	return poolID, aws.ToString(client.UserPoolClient.ClientId), nil
}

// seedAdmin creates the SystemAdmin (or, after a restart, sets the
// password again, so the printed credentials always work).
func seedAdmin(ctx context.Context, c *cip.Client, poolID string, admin User, password string) error {
	var attrs []ciptypes.AttributeType
	for _, k := range sortedKeys(admin.Attributes) {
		attrs = append(attrs, ciptypes.AttributeType{Name: aws.String(k), Value: aws.String(admin.Attributes[k])})
	}
	_, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(admin.Email),
		UserAttributes: attrs, MessageAction: ciptypes.MessageActionTypeSuppress})
	var exists *ciptypes.UsernameExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("creating the SystemAdmin %s: %w", admin.Email, err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(admin.Email),
		Password: aws.String(password), Permanent: true}); err != nil {
		return fmt.Errorf("setting the SystemAdmin's password: %w", err)
	}
	if _, err := c.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: aws.String(poolID), Username: aws.String(admin.Email)}); err != nil {
		return err
	}
	for _, g := range admin.Groups {
		if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(poolID), Username: aws.String(admin.Email), GroupName: aws.String(g)}); err != nil {
			return fmt.Errorf("adding the SystemAdmin to %s: %w", g, err)
		}
	}
	return nil
}

// cognitoGuard is the local Cognito endpoint clients use: a proxy to
// cognito-local that refuses what AWS refuses and cognito-local allows —
// an app client writing attributes it may not write (a user moving to
// another tenant or promoting itself), and self sign-up in a pool where
// only admins create users. Admin API calls go to cognito-local directly.
type cognitoGuard struct {
	proxy     *httputil.ReverseProxy
	writable  []string
	adminOnly bool
	// disabled reports whether a user is disabled: cognito-local signs
	// disabled users in, Cognito does not.
	disabled func(ctx context.Context, username string) bool
}

func newCognitoGuard(target string, writable []string, adminOnly bool) (*cognitoGuard, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	return &cognitoGuard{proxy: httputil.NewSingleHostReverseProxy(u), writable: writable, adminOnly: adminOnly}, nil
}

func (g *cognitoGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	if strings.HasPrefix(op, "Admin") || slices.Contains([]string{"CreateUserPool", "CreateUserPoolClient", "CreateGroup", "DeleteUserPool", "ListUsers", "ListUserPools"}, op) {
		// Admin APIs need IAM credentials on AWS; the web app has none.
		refuse(w, "NotAuthorizedException", "the local Cognito endpoint serves the app client's API only")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in struct {
		UserAttributes []struct{ Name string }
		AuthParameters map[string]string
	}
	_ = json.Unmarshal(body, &in)
	switch op {
	case "InitiateAuth":
		if user := in.AuthParameters["USERNAME"]; user != "" && g.disabled != nil && g.disabled(r.Context(), user) {
			refuse(w, "NotAuthorizedException", "User is disabled.")
			return
		}
	case "SignUp":
		if g.adminOnly {
			refuse(w, "NotAuthorizedException", "SignUp is not permitted for this user pool")
			return
		}
		fallthrough
	case "UpdateUserAttributes":
		for _, a := range in.UserAttributes {
			if !slices.Contains(g.writable, a.Name) {
				refuse(w, "NotAuthorizedException", "A client attempted to write unauthorized attribute")
				return
			}
		}
	case "DeleteUserAttributes":
		var del struct{ UserAttributeNames []string }
		_ = json.Unmarshal(body, &del)
		for _, a := range del.UserAttributeNames {
			if !slices.Contains(g.writable, a) {
				refuse(w, "NotAuthorizedException", "A client attempted to write unauthorized attribute")
				return
			}
		}
	}
	g.proxy.ServeHTTP(w, r)
}

func refuse(w http.ResponseWriter, kind, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-ErrorType", kind)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": kind, "message": message})
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// SignOuts records the AdminUserGlobalSignOut calls the local stack
// answered in cognito-local's place.
type SignOuts struct {
	mu    sync.Mutex
	users []string
}

// Users lists the users signed out everywhere, in order.
func (s *SignOuts) Users() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.users)
}

// adminCognito is the control plane's admin client of cognito-local.
// cognito-local has no AdminUserGlobalSignOut (it answers an unknown
// operation, so disabling a user through the API would always fail
// locally); this client answers it as Cognito does: an unknown user is a
// UserNotFoundException, a known one is signed out (recorded in signOuts;
// cognito-local already refuses a disabled user's sign-in).
func adminCognito(c *cip.Client, signOuts *SignOuts) *cip.Client {
	plain := c
	return cip.New(c.Options(), func(o *cip.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("LocalAdminUserGlobalSignOut",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					p, ok := in.Parameters.(*cip.AdminUserGlobalSignOutInput)
					if !ok {
						return next.HandleInitialize(ctx, in)
					}
					if _, err := plain.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: p.UserPoolId, Username: p.Username}); err != nil {
						return middleware.InitializeOutput{}, middleware.Metadata{}, err
					}
					signOuts.mu.Lock()
					signOuts.users = append(signOuts.users, aws.ToString(p.Username))
					signOuts.mu.Unlock()
					return middleware.InitializeOutput{Result: &cip.AdminUserGlobalSignOutOutput{}}, middleware.Metadata{}, nil
				}), middleware.Before)
		})
	})
}
