// Package awsenv builds a function's AWS configuration from the environment
// Lambda gives it (AWS_REGION and the execution role's credentials in
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). It does
// what config.LoadDefaultConfig does for that case without linking the SSO,
// sign-in and IMDS providers, whose package initialisation alone costs
// several milliseconds of every cold start.
package awsenv

import (
	"errors"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/middleware"

	"github.com/tenantforge/tenantforge/shared/obs"
)

// Config returns the function's AWS configuration.
func Config() (aws.Config, error) {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, errors.New("AWS_REGION is not set (Lambda sets it; set it when running locally)")
	}
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		return aws.Config{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the execution role)")
	}
	return aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN"))),
		// Every SDK call (STS, DynamoDB, ...) becomes an X-Ray subsegment
		// with the caller's TenantId when Lambda traces the invocation.
		APIOptions: []func(*middleware.Stack) error{obs.AWSMiddleware},
	}, nil
}
