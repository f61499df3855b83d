package mockcloud

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// synthesize returns the ID and the output state of a new resource: its
// inputs plus what AWS would compute (ID, ARN, physical name, tagsAll).
func (r *Recorder) synthesize(res *Resource, importID string) (string, resource.PropertyMap, error) {
	state := res.Inputs.Copy()
	switch {
	case res.Type == "pulumi:pulumi:StackReference":
		return r.stackReference(res)
	case res.IsProvider():
		return stableHex(res.URN, 8) + "-" + stableHex(res.URN+"p", 4) + "-4" + stableHex(res.URN, 3), state, nil
	case res.Remote:
		return "", r.remoteOutputs(res, state), nil
	case !res.Custom:
		// Our own components: no ID, outputs come from RegisterResourceOutputs.
		return "", resource.PropertyMap{}, nil
	}

	region := r.providerRegion(res.Provider)
	name := physicalName(res)
	id, arn := awsIdentity(res, region, name)
	if importID != "" {
		id = importID
	}
	if _, ok := state["name"]; !ok && strings.HasPrefix(res.Type, "aws:") {
		state["name"] = resource.NewProperty(name)
	}
	if arn != "" {
		state["arn"] = resource.NewProperty(arn)
	}
	for k, v := range typeOutputs(res, region, id, name) {
		if _, given := state[resource.PropertyKey(k)]; !given {
			state[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	if tags, ok := state["tags"]; ok && strings.HasPrefix(res.Type, "aws:") {
		all := r.providerDefaultTags(res.Provider)
		if all == nil {
			all = map[string]string{}
		}
		if tags.IsObject() {
			for k, v := range tags.ObjectValue() {
				if v.IsString() {
					all[string(k)] = v.StringValue()
				}
			}
		}
		m := map[string]any{}
		for k, v := range all {
			m[k] = v
		}
		state["tagsAll"] = resource.NewPropertyValue(m)
	}
	state["id"] = resource.NewProperty(id)
	return id, state, nil
}

// physicalName is the name AWS would know the resource by: the one the
// program set, or Pulumi's auto-name (logical name plus a suffix).
func physicalName(res *Resource) string {
	for _, k := range []resource.PropertyKey{"name", "functionName", "bucket", "roleName"} {
		if v, ok := res.Inputs[k]; ok && v.IsString() && v.StringValue() != "" {
			return v.StringValue()
		}
	}
	return res.Name + "-" + stableHex(res.URN, 7)
}

// awsIdentity returns the ID and ARN AWS gives a resource of this type.
func awsIdentity(res *Resource, region, name string) (string, string) {
	acct := AccountID
	mod, kind := tokenParts(res.Type)
	hexID := stableHex(res.URN, 17)
	switch res.Type {
	case "aws:dynamodb/table:Table":
		return name, fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, acct, name)
	case "aws:cloudwatch/eventBus:EventBus":
		return name, fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", region, acct, name)
	case "aws:cloudwatch/eventRule:EventRule":
		return name, fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", region, acct, name)
	case "aws:cloudwatch/logGroup:LogGroup":
		return name, fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, acct, name)
	case "aws:iam/role:Role":
		return name, fmt.Sprintf("arn:aws:iam::%s:role/%s", acct, name)
	case "aws:iam/policy:Policy":
		arn := fmt.Sprintf("arn:aws:iam::%s:policy/%s", acct, name)
		return arn, arn
	case "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		return name + "-" + stableHex(res.URN, 8), ""
	case "aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket":
		return name, "arn:aws:s3:::" + name
	case "aws:lambda/function:Function":
		return name, fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, acct, name)
	case "aws:lambda/layerVersion:LayerVersion":
		return fmt.Sprintf("arn:aws:lambda:%s:%s:layer:%s:1", region, acct, name), fmt.Sprintf("arn:aws:lambda:%s:%s:layer:%s:1", region, acct, name)
	case "aws:sns/topic:Topic", "aws:sqs/queue:Queue":
		return name, fmt.Sprintf("arn:aws:%s:%s:%s:%s", mod, region, acct, name)
	case "aws:ec2/securityGroup:SecurityGroup":
		id := "sg-" + hexID
		return id, fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", region, acct, id)
	case "aws:cognito/userPool:UserPool":
		id := region + "_" + strings.ToUpper(stableHex(res.URN, 9))
		return id, fmt.Sprintf("arn:aws:cognito-idp:%s:%s:userpool/%s", region, acct, id)
	case "aws:apigateway/restApi:RestApi":
		id := stableHex(res.URN, 10)
		return id, fmt.Sprintf("arn:aws:apigateway:%s::/restapis/%s", region, id)
	case "aws:cognito/userPoolClient:UserPoolClient":
		return stableHex(res.URN, 26), ""
	case "aws:cognito/userGroup:UserGroup":
		return stableHex(res.URN, 9) + "/" + name, ""
	case "aws:apigateway/deployment:Deployment", "aws:apigateway/usagePlan:UsagePlan":
		return stableHex(res.URN, 6), ""
	case "aws:apigateway/stage:Stage", "aws:apigateway/methodSettings:MethodSettings", "aws:apigateway/account:Account",
		"aws:lambda/permission:Permission":
		return res.Name + "-" + stableHex(res.URN, 8), ""
	case "aws:cloudtrail/trail:Trail":
		return name, fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", region, acct, name)
	case "aws:lambda/alias:Alias":
		fn, _ := res.Input("functionName").(string)
		arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s:%s", region, acct, fn, name)
		return arn, arn
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		return name, fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, acct, name)
	case "aws:codedeploy/application:Application":
		return stableHex(res.URN, 8) + ":" + name, fmt.Sprintf("arn:aws:codedeploy:%s:%s:application:%s", region, acct, name)
	case "aws:codedeploy/deploymentGroup:DeploymentGroup":
		app, _ := res.Input("appName").(string)
		group, _ := res.Input("deploymentGroupName").(string)
		return app + ":" + group, fmt.Sprintf("arn:aws:codedeploy:%s:%s:deploymentgroup:%s/%s", region, acct, app, group)
	case "aws:codebuild/reportGroup:ReportGroup":
		arn := fmt.Sprintf("arn:aws:codebuild:%s:%s:report-group/%s", region, acct, name)
		return arn, arn
	case "aws:codebuild/project:Project":
		return name, fmt.Sprintf("arn:aws:codebuild:%s:%s:project/%s", region, acct, name)
	case "aws:codepipeline/pipeline:Pipeline":
		return name, fmt.Sprintf("arn:aws:codepipeline:%s:%s:%s", region, acct, name)
	case "aws:codestarconnections/connection:Connection":
		arn := fmt.Sprintf("arn:aws:codestar-connections:%s:%s:connection/%s", region, acct, stableHex(res.URN, 8)+"-"+stableHex(res.URN+"c", 4)+"-4"+stableHex(res.URN, 3))
		return arn, arn
	case "aws:cloudfront/distribution:Distribution":
		id := "E" + strings.ToUpper(stableHex(res.URN, 13))
		return id, fmt.Sprintf("arn:aws:cloudfront::%s:distribution/%s", acct, id)
	case "aws:cloudfront/function:Function":
		return name, fmt.Sprintf("arn:aws:cloudfront::%s:function/%s", acct, name)
	case "aws:cloudfront/originAccessControl:OriginAccessControl", "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy":
		return "E" + strings.ToUpper(stableHex(res.URN, 13)), ""
	case "aws:wafv2/webAcl:WebAcl":
		id := stableHex(res.URN, 8) + "-" + stableHex(res.URN+"a", 4) + "-4" + stableHex(res.URN+"b", 3) + "-8" + stableHex(res.URN+"c", 3) + "-" + stableHex(res.URN+"d", 12)
		return id, fmt.Sprintf("arn:aws:wafv2:%s:%s:global/webacl/%s/%s", region, acct, name, id)
	}
	return name, fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", mod, region, acct, strings.ToLower(kind), name)
}

// typeOutputs are the computed outputs of a type beyond id, arn and name.
func typeOutputs(res *Resource, region, id, name string) map[string]any {
	switch res.Type {
	case "aws:dynamodb/table:Table":
		if v, ok := res.Inputs["streamEnabled"]; ok && v.IsBool() && v.BoolValue() {
			return map[string]any{"streamArn": fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s/stream/2026-01-01T00:00:00.000", region, AccountID, name)}
		}
	case "aws:apigateway/restApi:RestApi":
		return map[string]any{
			"rootResourceId": stableHex(res.URN+"root", 10),
			"executionArn":   fmt.Sprintf("arn:aws:execute-api:%s:%s:%s", region, AccountID, id),
		}
	case "aws:cognito/userPool:UserPool":
		return map[string]any{"endpoint": fmt.Sprintf("cognito-idp.%s.amazonaws.com/%s", region, id)}
	case "aws:apigateway/stage:Stage":
		api, _ := res.Input("restApi").(string)
		stage, _ := res.Input("stageName").(string)
		return map[string]any{
			"invokeUrl":    fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com/%s", api, region, stage),
			"executionArn": fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s", region, AccountID, api, stage),
		}
	case "aws:lambda/alias:Alias":
		fn, _ := res.Input("functionName").(string)
		return map[string]any{
			"invokeArn": fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/arn:aws:lambda:%s:%s:function:%s:%s/invocations", region, region, AccountID, fn, name),
		}
	case "aws:lambda/function:Function":
		version := "$LATEST"
		if v, ok := res.Inputs["publish"]; ok && v.IsBool() && v.BoolValue() {
			version = "1" // the first published version
		}
		return map[string]any{
			"invokeArn":      fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/arn:aws:lambda:%s:%s:function:%s/invocations", region, region, AccountID, name),
			"qualifiedArn":   fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s:$LATEST", region, AccountID, name),
			"version":        version,
			"functionName":   name,
			"sourceCodeHash": "mock",
		}
	case "aws:cloudfront/distribution:Distribution":
		return map[string]any{"domainName": "d" + stableHex(res.URN+"domain", 13) + ".cloudfront.net", "hostedZoneId": "Z2FDTNDATAQYW2"}
	case "aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket":
		return map[string]any{
			"bucket":                   name,
			"bucketDomainName":         name + ".s3.amazonaws.com",
			"bucketRegionalDomainName": fmt.Sprintf("%s.s3.%s.amazonaws.com", name, region),
		}
	}
	return nil
}

// remoteOutputs synthesises the outputs of plugin-managed components.
func (r *Recorder) remoteOutputs(res *Resource, state resource.PropertyMap) resource.PropertyMap {
	switch res.Type {
	case "awsx:ec2:Vpc":
		zones := 2
		if v, ok := res.Inputs["numberOfAvailabilityZones"]; ok && v.IsNumber() {
			zones = int(v.NumberValue())
		}
		subnets := func(kind string) []any {
			out := make([]any, zones)
			for i := range out {
				out[i] = "subnet-" + stableHex(fmt.Sprintf("%s/%s/%d", res.URN, kind, i), 17)
			}
			return out
		}
		nat := ""
		if v, ok := res.Inputs["natGateways"]; ok && v.IsObject() {
			if s, ok := v.ObjectValue()["strategy"]; ok && s.IsString() {
				nat = s.StringValue()
			}
		}
		out := map[string]any{"vpcId": "vpc-" + stableHex(res.URN, 17), "privateSubnetIds": []any{}, "publicSubnetIds": []any{}, "isolatedSubnetIds": []any{}}
		if nat == "None" {
			out["isolatedSubnetIds"] = subnets("isolated")
		} else {
			out["privateSubnetIds"], out["publicSubnetIds"] = subnets("private"), subnets("public")
		}
		return resource.NewPropertyMapFromMap(out)
	}
	return resource.PropertyMap{}
}

// stackReference answers a StackReference with the outputs the run was
// given for that stack, and fails when it was given none: a tenant stack
// planned without its platform stack would otherwise look fine.
func (r *Recorder) stackReference(res *Resource) (string, resource.PropertyMap, error) {
	name := res.Name
	if v, ok := res.Inputs["name"]; ok && v.IsString() {
		name = v.StringValue()
	}
	outputs, ok := r.stackOutputs[name]
	if !ok {
		return "", nil, fmt.Errorf("%w: %s (known: %v)", ErrNoStackOutputs, name, slices.Sorted(maps.Keys(r.stackOutputs)))
	}
	return name, resource.NewPropertyMapFromMap(map[string]any{
		"name":              name,
		"outputs":           maps.Clone(outputs),
		"secretOutputNames": []any{},
	}), nil
}

// tokenParts splits "aws:dynamodb/table:Table" into ("dynamodb", "Table").
func tokenParts(token string) (string, string) {
	parts := strings.Split(token, ":")
	if len(parts) != 3 {
		return token, token
	}
	mod, _, _ := strings.Cut(parts[1], "/")
	return mod, parts[2]
}

// decodeProviderObject reads a provider input that may arrive as an object
// or JSON-encoded, as Pulumi passes nested provider configuration.
func decodeProviderObject(v resource.PropertyValue) map[string]any {
	switch {
	case v.IsObject():
		return v.ObjectValue().Mappable()
	case v.IsString():
		var m map[string]any
		if json.Unmarshal([]byte(v.StringValue()), &m) == nil {
			return m
		}
	}
	return nil
}
