package obs

import (
	"context"
	"errors"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// AWSMiddleware traces every AWS SDK call (STS AssumeRole, DynamoDB, ...)
// as an "aws" subsegment carrying the service, operation, region, request
// id and the caller's TenantId, and propagates the trace header. Add it to
// aws.Config.APIOptions; without a tracer it is a no-op.
func AWSMiddleware(stack *middleware.Stack) error {
	return TraceAWS(DefaultTracer())(stack)
}

// TraceAWS is AWSMiddleware with a given tracer.
func TraceAWS(t *Tracer) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		if t == nil {
			return nil
		}
		if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("obs.TraceStart",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				ctx, seg := t.Start(ctx, "AWS")
				if seg == nil {
					return next.HandleInitialize(ctx, in)
				}
				out, md, err := next.HandleInitialize(ctx, in)
				seg.mu.Lock()
				seg.doc.Namespace = "aws"
				if seg.doc.AWS == nil {
					seg.doc.AWS = map[string]any{}
				}
				if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok {
					seg.doc.AWS["request_id"] = id
				}
				seg.mu.Unlock()
				status := 0
				if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && raw != nil {
					status = raw.StatusCode
				}
				var re *smithyhttp.ResponseError
				if status == 0 && errors.As(err, &re) {
					status = re.HTTPStatusCode()
				}
				var apiErr smithy.APIError
				if errors.As(err, &apiErr) && status == 0 {
					status = 400
				}
				seg.SetStatus(status)
				seg.End(err)
				return out, md, err
			}), middleware.After); err != nil {
			return err
		}
		return stack.Build.Add(middleware.BuildMiddlewareFunc("obs.TraceHeader",
			func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				if seg, _ := ctx.Value(segmentKey{}).(*Subsegment); seg != nil {
					seg.mu.Lock()
					if svc := awsmiddleware.GetServiceID(ctx); svc != "" {
						seg.doc.Name = svc
					}
					seg.doc.AWS = map[string]any{"operation": awsmiddleware.GetOperationName(ctx), "region": awsmiddleware.GetRegion(ctx)}
					seg.mu.Unlock()
					if req, ok := in.Request.(*smithyhttp.Request); ok {
						req.Header.Set("X-Amzn-Trace-Id", seg.Header())
					}
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
	}
}
