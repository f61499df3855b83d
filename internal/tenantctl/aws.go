package tenantctl

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// GatewayPlanKeys is UsagePlanKeys on API Gateway.
type GatewayPlanKeys struct {
	Client interface {
		CreateUsagePlanKey(ctx context.Context, in *apigateway.CreateUsagePlanKeyInput, opts ...func(*apigateway.Options)) (*apigateway.CreateUsagePlanKeyOutput, error)
	}
}

// Attach puts the key on the plan; API Gateway answers 409 when it is
// already there, which counts as done.
func (g *GatewayPlanKeys) Attach(ctx context.Context, planID, keyID string) error {
	_, err := g.Client.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{
		UsagePlanId: aws.String(planID), KeyId: aws.String(keyID), KeyType: aws.String("API_KEY"),
	})
	var conflict *agtypes.ConflictException
	if errors.As(err, &conflict) {
		return nil
	}
	return err
}
