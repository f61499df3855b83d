package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeGateway answers API Gateway's REST calls for usage plan keys and API
// keys the way API Gateway does: a conflict for a key already on a plan of
// the stage, not found for a key or plan key that is not there.
type fakeGateway struct {
	mu    sync.Mutex
	plans map[string]string // key id -> plan id
	calls []string
}

func (g *fakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, r.Method+" "+r.URL.Path)
	fail := func(status int, kind string) {
		w.Header().Set("X-Amzn-Errortype", kind)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message":%q}`, kind)
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "usageplans":
		var body struct {
			KeyID string `json:"keyId"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		key := body.KeyID
		if _, ok := g.plans[key]; !ok {
			fail(404, "NotFoundException")
			return
		}
		if g.plans[key] != "" {
			fail(409, "ConflictException")
			return
		}
		g.plans[key] = parts[1]
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"id":%q,"type":"API_KEY"}`, key)
	case len(parts) == 4 && parts[0] == "usageplans":
		if g.plans[parts[3]] != parts[1] {
			fail(404, "NotFoundException")
			return
		}
		if r.Method == "DELETE" {
			g.plans[parts[3]] = ""
			w.WriteHeader(202)
			return
		}
		fmt.Fprintf(w, `{"id":%q,"type":"API_KEY"}`, parts[3])
	case r.Method == "DELETE" && len(parts) == 2 && parts[0] == "apikeys":
		if _, ok := g.plans[parts[1]]; !ok {
			fail(404, "NotFoundException")
			return
		}
		delete(g.plans, parts[1])
		w.WriteHeader(202)
	default:
		fail(400, "BadRequestException")
	}
}

func TestGatewayKeysMoveBetweenPlansIdempotently(t *testing.T) {
	fake := &fakeGateway{plans: map[string]string{"k1": "plan-basic"}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	g := &GatewayKeys{Client: apigateway.New(apigateway.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "a", SecretAccessKey: "s"}, nil
		}),
	})}
	ctx := context.Background()

	err := g.Attach(ctx, "k1", "plan-premium")
	require.Error(t, err, "a key still on another plan of the stage must not be reported as attached")

	require.NoError(t, g.Attach(ctx, "k1", "plan-basic"), "a key already on the plan is attached: a retry succeeds")
	require.NoError(t, g.Detach(ctx, "k1", "plan-basic"))
	require.NoError(t, g.Detach(ctx, "k1", "plan-basic"), "a key already off the plan is detached: a retry succeeds")
	require.NoError(t, g.Attach(ctx, "k1", "plan-premium"))
	assert.Equal(t, "plan-premium", fake.plans["k1"])
	require.NoError(t, g.Delete(ctx, "k1"))
	require.NoError(t, g.Delete(ctx, "k1"), "a key already deleted is deleted: offboarding resumes past it")
	assert.NotContains(t, fake.plans, "k1")
	assert.Contains(t, fake.calls, "GET /usageplans/plan-basic/keys/k1", "a conflict is checked against the plan")
}
