package tests

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/mockcloud"
)

const (
	typeProvider   = "pulumi:providers:aws"
	typeTable      = "aws:dynamodb/table:Table"
	typeEventBus   = "aws:cloudwatch/eventBus:EventBus"
	typeTrail      = "awsx:cloudtrail:Trail"
	typeVpc        = "awsx:ec2:Vpc"
	typeSG         = "aws:ec2/securityGroup:SecurityGroup"
	typeStackRef   = "pulumi:pulumi:StackReference"
	typeShared     = "tenantforge:shared:SharedServices"
	typeDataStore  = "tenantforge:data:DataStore"
	typeAudit      = "tenantforge:audit:AuditTrail"
	typeNetwork    = "tenantforge:network:Network"
	typePlatRef    = "tenantforge:stack:PlatformRef"
	typeIdentity   = "tenantforge:identity:Identity"
	typeUserPool   = "aws:cognito/userPool:UserPool"
	typeClient     = "aws:cognito/userPoolClient:UserPoolClient"
	typeGroup      = "aws:cognito/userGroup:UserGroup"
	typeUser       = "aws:cognito/user:User"
	typeUserGroup  = "aws:cognito/userInGroup:UserInGroup"
	typeAuthz      = "tenantforge:identity:Authorizer"
	typeFunction   = "tenantforge:app:Function"
	typeLambda     = "aws:lambda/function:Function"
	typeRole       = "aws:iam/role:Role"
	typeRolePol    = "aws:iam/rolePolicy:RolePolicy"
	typeLogGroup   = "aws:cloudwatch/logGroup:LogGroup"
	typeGroup2     = "tenantforge:app:TenantGroup"
	typeAccess     = "tenantforge:app:TenantAccess"
	regionalURNEnd = "::pulumi:providers:aws::aws"
	globalURNEnd   = "::pulumi:providers:aws::aws-global"
)

func TestPlatformStackResourceSet(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	webFiles := len(builtWebFiles(t))
	assert.Equal(t, map[string]int{
		typeProvider:                             2, // regional and us-east-1
		typeShared:                               1,
		typeTable:                                3, // tenant registry, pooled data, tenant usage
		typeDataStore:                            1,
		typeEventBus:                             1,
		typeAudit:                                1,
		typeTrail:                                1,
		typeIdentity:                             1,
		typeUserPool:                             1,
		typeClient:                               1,
		typeGroup:                                3, // SystemAdmin, TenantAdmin, TenantUser
		typeUser:                                 1, // the stack's SystemAdmin
		typeUserGroup:                            1,
		typeAuthz:                                1,
		typeFunction:                             7, // authorizer, pool products, pool orders, registration, tenants, users, usage
		typeLambda:                               7,
		typeRole:                                 15, // seven execution roles, the tenant access role, API Gateway's logs role, CodeDeploy's, the pipeline's three, the deployer's and its events role
		typeRolePol:                              22, // logs and traces of each function; registry read; assume tenant role x2; tenant data; control plane x3; usage; usage read; alias shifts; pipeline x3; deployer; start build
		typeLogGroup:                             11, // seven functions, the API's access logs, the build and deploy projects, the deployer's builds
		"aws:lambda/alias:Alias":                 2,  // live: pool products and orders
		"tenantforge:app:Release":                1,
		"aws:codedeploy/application:Application": 1,
		"aws:codedeploy/deploymentGroup:DeploymentGroup":              2,  // one per application function
		"aws:cloudwatch/metricAlarm:MetricAlarm":                      25, // errors and latency of each live alias (4); errors and throttles of 7 functions; API 5xx rate and p99; 3 tables; registrations; provisioning
		"tenantforge:cicd:Pipeline":                                   1,  // cicd.repository is set
		"aws:codepipeline/pipeline:Pipeline":                          1,
		"aws:codebuild/project:Project":                               3, // build, deploy, tenant deployer
		"aws:codebuild/reportGroup:ReportGroup":                       1,
		"aws:codestarconnections/connection:Connection":               1, // no cicd.connectionArn in Pulumi.dev.yaml
		"aws:codestarnotifications/notificationRule:NotificationRule": 1,
		typeBucket: 2, // the pipeline's artifacts and the web app's (the audit trail's bucket is awsx's)
		"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": 1,
		typeOwnership:                     2,
		typeBucketPolicy:                  2,
		typePublicAccess:                  2,
		typeEncryption:                    2,
		"aws:sns/topic:Topic":             2, // pipeline notifications, alarms
		"aws:sns/topicPolicy:TopicPolicy": 1,
		"aws:sns/topicSubscription:TopicSubscription": 1, // cicd.notifyEmail
		"tenantforge:controlplane:ControlPlane":       1,
		"aws:dynamodb/tableItem:TableItem":            1, // the usage plan ids for the control plane
		typeGroup2:                                    1,
		typeAccess:                                    1,
		"tenantforge:api:Api":                         1,
		typeRestAPI:                                   1,
		typeDeployment:                                1,
		typeStage:                                     1,
		typeMethodSet:                                 1,
		typeUsagePlan:                                 3, // one per pooled tier
		typePermission:                                7, // five functions and the authorizer for the API, the usage function for its schedule
		typeAccount:                                   1,
		"aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
		"tenantforge:app:SharedLayer":                       1,
		"aws:lambda/layerVersion:LayerVersion":              1,
		"tenantforge:obs:TenantUsage":                       1,
		"tenantforge:obs:Observability":                     1,
		"aws:cloudwatch/eventRule:EventRule":                7, // the usage schedule; provisioned and provisioning-failed counters; the pipeline's succeeded and failed runs; provisioning and deprovisioning requested
		"aws:cloudwatch/eventTarget:EventTarget":            3, // the usage function; the deployer twice
		"aws:cloudwatch/logMetricFilter:LogMetricFilter":    3, // API throttles, registration failures, authorizer denials
		"aws:cloudwatch/queryDefinition:QueryDefinition":    2,
		"aws:cloudwatch/dashboard:Dashboard":                1,
		typeDeployer:                                        1,
		typePolicy:                                          1, // the silo roles' permissions boundary
		"aws:sqs/queue:Queue":                               1, // the deployer rules' dead-letter queue
		"aws:sqs/queuePolicy:QueuePolicy":                   1,
		typeSite:                                            1,
		typeVersioning:                                      1, // the web app's bucket
		typeOAC:                                             1,
		typeCFFunction:                                      1,
		typeHeadersPolicy:                                   1,
		typeCachePolicy:                                     1, // /api/*: Authorization in the cache key
		typeDistribution:                                    1,
		typeObject:                                          webFiles + 1, // every built file and config.json
	}, rec.CountByType(), "the dev platform stack registers a different resource set than its config asks for")
	assert.Empty(t, rec.OfType(typeVpc), "the VPC is off by default: a NAT gateway costs money every hour")
	assert.Equal(t, "tenantforge-dev-registry", rec.Outputs[infra.OutRegistryTableName])
	assert.Equal(t, "arn:aws:dynamodb:eu-west-1:123456789012:table/tenantforge-dev-pooled-data", rec.Outputs[infra.OutPooledTableArn])
	assert.Equal(t, []any{"basic", "platinum", "premium", "standard"}, rec.Outputs[infra.OutTiers])
}

func TestTenantStackResourceSet(t *testing.T) {
	rec := run(t, "dev-tenant-example", stackConfig(t, "dev-tenant-example"), platformOutputs(t))
	assert.Equal(t, map[string]int{
		typeProvider:                             2,
		typePlatRef:                              1,
		typeStackRef:                             1,
		typeDataStore:                            1,
		typeTable:                                1,
		typeGroup2:                               1,
		typeFunction:                             2,
		typeLambda:                               2,
		typeRole:                                 3, // two execution roles, CodeDeploy's
		typeRolePol:                              5,
		typeLogGroup:                             3,
		"aws:lambda/alias:Alias":                 2,
		"tenantforge:app:Release":                1,
		"aws:codedeploy/application:Application": 1,
		"aws:codedeploy/deploymentGroup:DeploymentGroup": 2,
		"aws:cloudwatch/metricAlarm:MetricAlarm":         11, // errors and latency of each live alias (4); errors and throttles of 2 functions; API 5xx rate and p99; table throttles
		"tenantforge:obs:Observability":                  1,
		"aws:sns/topic:Topic":                            1,
		"aws:cloudwatch/logMetricFilter:LogMetricFilter": 1, // the API's 429s per tenant and tier
		"aws:cloudwatch/queryDefinition:QueryDefinition": 2,
		"tenantforge:api:Api":                            1,
		typeRestAPI:                                      1,
		typeDeployment:                                   1,
		typeStage:                                        1,
		typeMethodSet:                                    1,
		typeUsagePlan:                                    1,
		typePermission:                                   3,
	}, rec.CountByType(), "a silo tenant stack must hold only that tenant's resources")
	ref := find(t, rec, typeStackRef, "platform-stack")
	assert.Equal(t, "organization/tenantforge/dev", ref.Input("name"))
	table := find(t, rec, typeTable, "silo-data-table")
	assert.Equal(t, "tenantforge-dev-tenant-example-data", table.Input("name"))
	assert.Equal(t, "tenantforge-dev-registry", rec.Outputs[infra.OutRegistryTableName], "the tenant stack must read the platform registry through the StackReference")
	assert.Equal(t, "example", rec.Outputs[infra.OutTenantID])
}

// Every resource must belong to one of our components, so the resource tree
// reads as the architecture and a component's children move with it.
// Providers stay at the top on purpose (see infra.NewProviders).
func TestEveryResourceDescendsFromAComponent(t *testing.T) {
	for _, s := range planRepo(t) {
		rec := s.Recording
		for _, r := range rec.Resources {
			if r.IsProvider() || strings.HasPrefix(r.Type, "tenantforge:") {
				continue
			}
			var owner string
			for _, a := range rec.Ancestors(r) {
				if strings.HasPrefix(a.Type, "tenantforge:") {
					owner = a.URN
					break
				}
			}
			assert.NotEmpty(t, owner, "%s: %s %s has no tenantforge component above it: it would be orphaned at the stack root", s.Name, r.Type, r.Name)
		}
		for _, r := range rec.OfType("") {
			t.Errorf("%s: a resource without a type was registered: %s", s.Name, r.URN)
		}
	}
}

func TestURNsAreUnique(t *testing.T) {
	for _, s := range planRepo(t) {
		seen := map[string]bool{}
		for _, r := range s.Recording.Resources {
			assert.False(t, seen[r.URN], "%s: URN %s registered twice: the second would fail at deploy time", s.Name, r.URN)
			seen[r.URN] = true
		}
		assert.NotEmpty(t, seen)
	}
}

// The default tags reach every taggable resource because every AWS resource
// (and every awsx component, which hands the provider to its children) is
// managed by one of the two explicit providers, and both carry the tags.
func TestEveryAWSResourceCarriesTheDefaultTags(t *testing.T) {
	for _, s := range planRepo(t) {
		rec := s.Recording
		want := map[string]any{"project": "tenantforge", "stack": s.Name, "environment": "dev", "managed-by": "pulumi"}
		if strings.Contains(s.Name, "-tenant-") {
			want["tenant-id"] = "example"
		}
		providers := rec.OfType(typeProvider)
		require.Len(t, providers, 2, "%s: exactly the regional and the us-east-1 provider", s.Name)
		regions := map[string]any{}
		for _, p := range providers {
			assert.Equal(t, map[string]any{"tags": want}, p.Input("defaultTags"), "%s: provider %s must apply exactly the stack's default tags", s.Name, p.Name)
			regions[p.Name] = p.Input("region")
		}
		assert.Equal(t, map[string]any{"aws": "eu-west-1", "aws-global": "us-east-1"}, regions)

		managed := 0
		for _, r := range rec.Resources {
			isAWS := strings.HasPrefix(r.Type, "aws:") && r.Custom
			isAwsx := strings.HasPrefix(r.Type, "awsx:")
			if !isAWS && !isAwsx {
				continue
			}
			managed++
			provider := r.Provider
			if isAwsx {
				provider = r.Providers["aws"]
			}
			assert.True(t, strings.HasSuffix(provider, regionalURNEnd) || strings.HasSuffix(provider, globalURNEnd),
				"%s: %s %s is managed by %q, not one of the stack's providers: it would miss the default tags", s.Name, r.Type, r.Name, provider)
			if tagsAll, ok := r.Output("tagsAll").(map[string]any); ok {
				for k, v := range want {
					assert.Equal(t, v, tagsAll[k], "%s: %s %s lacks default tag %s", s.Name, r.Type, r.Name, k)
				}
			}
		}
		assert.NotZero(t, managed)
	}
}

func TestMissingPackageSaysToBuild(t *testing.T) {
	rec, err := mockcloud.Run(mockcloud.Options{Project: "tenantforge", Stack: "dev", Config: stackConfig(t, "dev")},
		infra.Program(infra.Artifacts{Dir: t.TempDir()}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), ".zip")
	assert.Contains(t, err.Error(), "run `make build` first")
	assert.Empty(t, rec.Resources, "a missing package must stop the program before it registers anything")
}

func TestInvalidConfigFailsBeforeAnyResource(t *testing.T) {
	rec, err := tryRun("dev", stackConfig(t, "dev", "tiers", `{"basic":{"deployment":"pool","rateLimit":10,"burstLimit":5,"quotaPerDay":100}}`), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tenantforge:tiers.basic.burstLimit")
	assert.Contains(t, err.Error(), "raise burstLimit to at least 10")
	assert.Empty(t, rec.Resources, "invalid config must stop the program before it registers anything")
}

func TestDeletionProtectionOutsideDev(t *testing.T) {
	for env, protected := range map[string]bool{"dev": false, "prod": true} {
		rec := run(t, "dev", stackConfig(t, "dev", "environment", env), nil)
		tables := rec.OfType(typeTable)
		require.Len(t, tables, 3)
		tables = append(tables, run(t, "dev-tenant-x", stackConfig(t, "dev-tenant-example", "environment", env), platformOutputs(t)).OfType(typeTable)...)
		for _, table := range tables {
			assert.Equal(t, protected, table.Input("deletionProtectionEnabled"), "%s: table %s deletion protection", env, table.Name)
			assert.Equal(t, map[string]any{"enabled": true}, table.Input("pointInTimeRecovery"), "%s: table %s must keep point-in-time recovery", env, table.Name)
			assert.Equal(t, map[string]any{"enabled": true}, table.Input("serverSideEncryption"))
			assert.Equal(t, "PAY_PER_REQUEST", table.Input("billingMode"), "on-demand tables cost nothing while idle")
		}
		pool := find(t, rec, typeUserPool, "identity-users")
		assert.Equal(t, map[bool]string{true: "ACTIVE", false: "INACTIVE"}[protected], pool.Input("deletionProtection"), "%s: user pool deletion protection", env)
		trail := find(t, rec, typeTrail, "audit-trail")
		assert.Equal(t, !protected, trail.Input("s3Bucket").(map[string]any)["args"].(map[string]any)["forceDestroy"],
			"%s: only dev may destroy the audit log bucket with its contents", env)
	}
}

func TestAuditTrailInputs(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	trail := find(t, rec, typeTrail, "audit-trail")
	assert.Equal(t, map[string]any{
		"name":                       "tenantforge-dev-audit",
		"isMultiRegionTrail":         true,
		"includeGlobalServiceEvents": true,
		"enableLogFileValidation":    true,
		"enableLogging":              true,
		"s3Bucket": map[string]any{"args": map[string]any{
			"forceDestroy": true,
			"serverSideEncryptionConfiguration": map[string]any{"rule": map[string]any{
				"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"},
			}},
			"versioning": map[string]any{"enabled": true},
		}},
		"cloudWatchLogsGroup": map[string]any{
			"enable": true,
			"args":   map[string]any{"name": "/aws/cloudtrail/tenantforge-dev-audit", "retentionInDays": float64(30)},
		},
	}, trail.PlainInputs())
	assert.True(t, trail.Remote, "the trail is awsx's component, run by its plugin")

	off := run(t, "dev", stackConfig(t, "dev", "auditTrail", `{"enabled":false,"retentionDays":90}`), nil)
	assert.Empty(t, off.OfType(typeTrail), "auditTrail.enabled=false must remove the trail")
	assert.Empty(t, off.OfType(typeAudit))
	assert.NotContains(t, off.Outputs, infra.OutAuditTrailName)
}

func TestOptionalVPC(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev", "vpc", `{"enabled":true,"cidrBlock":"10.20.0.0/16","availabilityZones":3,"natGateways":"Single"}`), nil)
	vpc := find(t, rec, typeVpc, "network-vpc")
	assert.Equal(t, map[string]any{
		"cidrBlock":                 "10.20.0.0/16",
		"numberOfAvailabilityZones": float64(3),
		"enableDnsHostnames":        true,
		"enableDnsSupport":          true,
		"natGateways":               map[string]any{"strategy": "Single"},
		"subnetStrategy":            "Auto",
		"subnetSpecs": []any{
			map[string]any{"type": "Public", "name": "public", "cidrMask": float64(24)},
			map[string]any{"type": "Private", "name": "private", "cidrMask": float64(20)},
		},
	}, vpc.PlainInputs(), "NAT and subnet strategies must be explicit, never awsx's defaults (one NAT gateway per zone)")
	sg := find(t, rec, typeSG, "network-functions")
	assert.Empty(t, sg.Input("ingress"), "functions accept no inbound traffic")
	assert.Regexp(t, `^vpc-[0-9a-f]{17}$`, rec.Outputs[infra.OutVpcID])
	assert.Equal(t, rec.Outputs[infra.OutVpcID], sg.Input("vpcId"), "the security group must be in the stack's VPC")

	isolated := run(t, "dev", stackConfig(t, "dev", "vpc", `{"enabled":true,"cidrBlock":"10.0.0.0/20","availabilityZones":2,"natGateways":"None"}`), nil)
	vpc = find(t, isolated, typeVpc, "network-vpc")
	assert.Equal(t, []any{map[string]any{"type": "Isolated", "name": "isolated", "cidrMask": float64(24)}}, vpc.Input("subnetSpecs"),
		"without NAT gateways the functions get isolated subnets and no public subnets")
	assert.Equal(t, map[string]any{"strategy": "None"}, vpc.Input("natGateways"))
}

func TestTenantStackNeedsThePlatformStack(t *testing.T) {
	_, err := tryRun("dev-tenant-example", stackConfig(t, "dev-tenant-example"), nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, mockcloud.ErrNoStackOutputs) || strings.Contains(err.Error(), mockcloud.ErrNoStackOutputs.Error()), err.Error())

	// A platform stack that was never deployed has no outputs: the tenant
	// stack must say what to do instead of creating resources with "".
	_, err = tryRun("dev-tenant-example", stackConfig(t, "dev-tenant-example"), map[string]map[string]any{"organization/tenantforge/dev": {}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "run `pulumi up` on the platform stack first")
}
