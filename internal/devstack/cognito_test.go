package devstack

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/standin"
)

// cognito-local lacks AdminUserGlobalSignOut, which disabling a user
// through the API calls: the control plane's local client answers it as
// Cognito does. (Needs `npm ci`, as every cognito-local test.)
func TestAdminClientSignsUsersOutAsCognitoDoes(t *testing.T) {
	ctx := context.Background()
	proc, err := standin.StartCognitoLocal(ctx, repoRoot, t.TempDir(), 0)
	require.NoError(t, err)
	t.Cleanup(proc.Stop)
	plain := standin.CognitoClient(proc.URL)
	pool, err := plain.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("p")})
	require.NoError(t, err)
	poolID := pool.UserPool.Id
	_, err = plain.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID, Username: aws.String("ann@acme.example"), MessageAction: ciptypes.MessageActionTypeSuppress})
	require.NoError(t, err)

	_, err = plain.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: poolID, Username: aws.String("ann@acme.example")})
	require.Error(t, err, "cognito-local learnt AdminUserGlobalSignOut: the local answer in adminCognito can go")

	signOuts := &SignOuts{}
	admin := adminCognito(plain, signOuts)
	_, err = admin.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: poolID, Username: aws.String("ann@acme.example")})
	require.NoError(t, err, "disabling a user under make dev fails at the sign-out step (503) while it works on AWS")
	assert.Equal(t, []string{"ann@acme.example"}, signOuts.Users())
	_, err = admin.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: poolID, Username: aws.String("nobody@acme.example")})
	var gone *ciptypes.UserNotFoundException
	assert.ErrorAs(t, err, &gone, "signing out an unknown user must be Cognito's UserNotFoundException (the users routes answer 404)")
	_, err = admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: poolID, Username: aws.String("ann@acme.example")})
	assert.NoError(t, err, "the other admin calls must still reach cognito-local")
}
