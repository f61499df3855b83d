// Command registration serves the public control-plane routes: POST
// /registrations and GET /tenant-config/{tenantName} (shared/controlplane).
//
// Environment: REGISTRY_TABLE, USER_POOL_ID, APP_CLIENT_ID, EVENT_BUS,
// TIER_DEPLOYMENTS (JSON: tier -> pool|silo), CONFIG_CACHE_SECONDS. The
// tiers' usage plan ids are read from the registry, where the stack
// publishes them.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/tenantforge/tenantforge/shared/app"
	"github.com/tenantforge/tenantforge/shared/awsenv"
	"github.com/tenantforge/tenantforge/shared/controlplane"
	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/registry"
)

func main() { app.Serve("registration", setup) }

func setup() (*httpx.Router, error) {
	need, err := app.RequireEnv("REGISTRY_TABLE", "USER_POOL_ID", "APP_CLIENT_ID", "EVENT_BUS", "TIER_DEPLOYMENTS")
	if err != nil {
		return nil, err
	}
	deployments, err := app.TierDeployments(need["TIER_DEPLOYMENTS"])
	if err != nil {
		return nil, err
	}
	cacheSeconds, err := strconv.Atoi(os.Getenv("CONFIG_CACHE_SECONDS"))
	if err != nil || cacheSeconds < 0 {
		return nil, fmt.Errorf("CONFIG_CACHE_SECONDS=%q must be a whole number of seconds", os.Getenv("CONFIG_CACHE_SECONDS"))
	}
	cfg, err := awsenv.Config()
	if err != nil {
		return nil, err
	}
	tiers := map[string]controlplane.TierPlan{}
	for tier, d := range deployments {
		tiers[tier] = controlplane.TierPlan{Deployment: d}
	}
	store := registry.New(dynamodb.NewFromConfig(cfg), need["REGISTRY_TABLE"])
	public := &controlplane.Public{
		Registrar: &controlplane.Registrar{
			Registry:  store,
			Directory: &controlplane.CognitoDirectory{Client: cip.NewFromConfig(cfg), UserPoolID: need["USER_POOL_ID"]},
			Keys:      &controlplane.GatewayKeys{Client: apigateway.NewFromConfig(cfg)},
			Events:    &controlplane.EventBus{Client: eventbridge.NewFromConfig(cfg), Bus: need["EVENT_BUS"]},
			Tiers:     tiers,
			PlanIDs:   store.UsagePlans,
			Logger:    app.Logger(),
		},
		Registry: store,
		Identity: controlplane.Identity{
			UserPoolID: need["USER_POOL_ID"], AppClientID: need["APP_CLIENT_ID"], Region: cfg.Region,
			Endpoint: "https://cognito-idp." + cfg.Region + ".amazonaws.com/",
		},
		CacheTTL: time.Duration(cacheSeconds) * time.Second,
	}
	return public.Router(app.Logger()), nil
}
