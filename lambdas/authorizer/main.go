// Command authorizer is the API's Lambda REQUEST authorizer: it verifies the
// caller's Cognito ID token, checks the tenant in the registry and returns
// the IAM policy, context and API key of the caller (shared/auth).
//
// Environment: ISSUER_URL, CLIENT_IDS (comma-separated), REGISTRY_TABLE,
// DECISION_TTL_SECONDS (0-60), and optionally JWKS_URL.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tenantforge/tenantforge/shared/auth"
	"github.com/tenantforge/tenantforge/shared/awsenv"
	"github.com/tenantforge/tenantforge/shared/obs"
	"github.com/tenantforge/tenantforge/shared/registry"
)

func main() {
	handler, err := setup(context.Background())
	if err != nil {
		slog.Error("authorizer: cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(handler.Handle)
}

func setup(_ context.Context) (*auth.Authorizer, error) {
	issuer, clients, table := os.Getenv("ISSUER_URL"), os.Getenv("CLIENT_IDS"), os.Getenv("REGISTRY_TABLE")
	if issuer == "" || clients == "" || table == "" {
		return nil, errors.New("ISSUER_URL, CLIENT_IDS and REGISTRY_TABLE must be set")
	}
	ttl, err := strconv.Atoi(os.Getenv("DECISION_TTL_SECONDS"))
	if err != nil || ttl < 0 || ttl > 60 {
		return nil, fmt.Errorf("DECISION_TTL_SECONDS=%q: must be 0 to 60", os.Getenv("DECISION_TTL_SECONDS"))
	}
	jwks := os.Getenv("JWKS_URL")
	if jwks == "" {
		jwks = strings.TrimSuffix(issuer, "/") + "/.well-known/jwks.json"
	}
	awsCfg, err := awsenv.Config()
	if err != nil {
		return nil, err
	}
	verifier, err := auth.NewVerifier(auth.VerifierConfig{
		Issuer:    issuer,
		ClientIDs: strings.Split(clients, ","),
		Leeway:    5 * time.Second,
	}, auth.NewKeySet(jwks, 30*time.Second))
	if err != nil {
		return nil, err
	}
	decisionTTL := time.Duration(ttl) * time.Second
	store := registry.New(dynamodb.NewFromConfig(awsCfg), table)
	tenants := auth.NewCachedTenants(auth.RegistryTenants{Store: store}, decisionTTL, nil)
	a := auth.NewAuthorizer(verifier, tenants, decisionTTL).CheckUsers(auth.RegistryUsers{Store: store})
	a.Logger = obs.NewLogger(os.Stdout)
	return a, nil
}
