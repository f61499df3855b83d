// Command tenants serves the SystemAdmin's tenant routes: list, get,
// suspend and activate (shared/controlplane). A TenantAdmin may read its
// own tenant, and SystemAdmins read a tenant's daily usage and estimated
// cost. Environment: REGISTRY_TABLE, USER_POOL_ID, USAGE_TABLE.
package main

import (
	"errors"
	"os"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tenantforge/tenantforge/shared/app"
	"github.com/tenantforge/tenantforge/shared/awsenv"
	"github.com/tenantforge/tenantforge/shared/billing"
	"github.com/tenantforge/tenantforge/shared/controlplane"
	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/registry"
)

func main() { app.Serve("tenants", setup) }

func setup() (*httpx.Router, error) {
	table, pool, usage := os.Getenv("REGISTRY_TABLE"), os.Getenv("USER_POOL_ID"), os.Getenv("USAGE_TABLE")
	if table == "" || pool == "" || usage == "" {
		return nil, errors.New("REGISTRY_TABLE, USER_POOL_ID and USAGE_TABLE must be set")
	}
	cfg, err := awsenv.Config()
	if err != nil {
		return nil, err
	}
	db := dynamodb.NewFromConfig(cfg)
	t := &controlplane.Tenants{
		Registry: registry.New(db, table),
		Usage:    &billing.Store{DB: db, Table: usage},
		Users:    &controlplane.CognitoDirectory{Client: cip.NewFromConfig(cfg), UserPoolID: pool},
	}
	return t.Router(app.Logger()), nil
}
