// Command tenants serves the SystemAdmin's tenant routes: list, get,
// suspend, activate, change tier or name (PATCH) and offboard (DELETE)
// (shared/controlplane). A TenantAdmin may read its own tenant.
//
// Environment: REGISTRY_TABLE, USER_POOL_ID, POOLED_TABLE (the pooled data
// table an offboarding purges), EVENT_BUS, TIER_DEPLOYMENTS (JSON: tier ->
// pool|silo), USAGE_TABLE (the daily usage records SystemAdmins read). The
// tiers' usage plan ids are read from the registry, where the stack
// publishes them.
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/tenantforge/tenantforge/shared/app"
	"github.com/tenantforge/tenantforge/shared/awsenv"
	"github.com/tenantforge/tenantforge/shared/billing"
	"github.com/tenantforge/tenantforge/shared/controlplane"
	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/store"
)

func main() { app.Serve("tenants", setup) }

func setup() (*httpx.Router, error) {
	need, err := app.RequireEnv("REGISTRY_TABLE", "USER_POOL_ID", "POOLED_TABLE", "EVENT_BUS", "TIER_DEPLOYMENTS", "USAGE_TABLE")
	if err != nil {
		return nil, err
	}
	deployments, err := app.TierDeployments(need["TIER_DEPLOYMENTS"])
	if err != nil {
		return nil, err
	}
	cfg, err := awsenv.Config()
	if err != nil {
		return nil, err
	}
	db := dynamodb.NewFromConfig(cfg)
	reg := registry.New(db, need["REGISTRY_TABLE"])
	logger := app.Logger()
	t := &controlplane.Tenants{
		Registry: reg,
		Usage:    &billing.Store{DB: db, Table: need["USAGE_TABLE"]},
		Users:    &controlplane.CognitoDirectory{Client: cip.NewFromConfig(cfg), UserPoolID: need["USER_POOL_ID"], Index: reg},
		Lifecycle: controlplane.Lifecycle{
			Keys:    &controlplane.GatewayKeys{Client: apigateway.NewFromConfig(cfg)},
			Events:  &controlplane.EventBus{Client: eventbridge.NewFromConfig(cfg), Bus: need["EVENT_BUS"]},
			Purger:  &store.Purger{DB: db, Table: need["POOLED_TABLE"]},
			Tiers:   deployments,
			PlanIDs: reg.UsagePlans,
			Logger:  logger,
		},
	}
	return t.Router(logger), nil
}
