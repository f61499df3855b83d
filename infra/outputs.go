package infra

// Stack output names. The platform stack exports them and tenant stacks read
// them through a StackReference, so both sides use these constants.
const (
	OutRegion            = "region"
	OutEnvironment       = "environment"
	OutRegistryTableName = "registryTableName"
	OutRegistryTableArn  = "registryTableArn"
	OutPooledTableName   = "pooledTableName"
	OutPooledTableArn    = "pooledTableArn"
	OutEventBusName      = "eventBusName"
	OutEventBusArn       = "eventBusArn"
	OutAuditTrailName    = "auditTrailName"
	OutVpcID             = "vpcId"
	OutTiers             = "tiers"
	OutUserPoolID        = "userPoolId"
	OutUserPoolArn       = "userPoolArn"
	OutUserPoolClientID  = "userPoolClientId"
	OutIssuerURL         = "issuerUrl"
	OutJwksURL           = "jwksUrl"
	OutAuthorizerArn     = "authorizerFunctionArn"
	OutAuthorizerName    = "authorizerFunctionName"
	OutAuthorizerInvoke  = "authorizerInvokeArn"
	OutAPIURL            = "apiUrl"
	OutLayerArn          = "sharedLayerArn"
	OutUsagePlanIDs      = "usagePlanIds"
	OutTenantRoleArn     = "tenantAccessRoleArn"
	// OutReleases describes each application function's release (alias,
	// latest version, CodeDeploy application and group) for cmd/lambdarelease.
	OutReleases = "releases"
	// The delivery pipeline (platform stacks with cicd.repository).
	OutPipelineName      = "pipelineName"
	OutConnectionArn     = "sourceConnectionArn"
	OutNotificationTopic = "pipelineNotificationTopicArn"
	OutAlarmTopicArn     = "alarmTopicArn"
	OutDashboardName     = "dashboardName"
	OutUsageTableName    = "usageTableName"
	OutDeployerProject   = "tenantDeployerProject"
	OutSiloBoundaryArn   = "siloPermissionsBoundaryArn"
	OutSiteURL           = "siteUrl"
	OutSiteBucket        = "siteBucketName"
	OutDistributionID    = "siteDistributionId"

	OutTenantID      = "tenantId"
	OutTenantTier    = "tenantTier"
	OutDataTableName = "dataTableName"
	OutDataTableArn  = "dataTableArn"
	OutPlatformStack = "platformStack"
)
