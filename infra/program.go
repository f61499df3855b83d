package infra

import (
	"maps"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tenantforge/tenantforge/shared/apidef"
)

// LoadConfig reads and validates the stack's whole configuration once.
func LoadConfig(ctx *pulumi.Context) (*Config, error) {
	return ParseConfig(ctx.Project(), ctx.Stack(), ctx.GetConfig)
}

// Program is the Pulumi program: it loads the config, then composes the
// platform stack or, when the config names a tenant, that silo tenant's
// stack. Invalid config fails here, before any resource is registered.
func Program(artifacts Artifacts) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		cfg, err := LoadConfig(ctx)
		if err != nil {
			return err
		}
		if cfg.IsTenantStack() {
			return ComposeTenant(ctx, cfg, artifacts)
		}
		return ComposePlatform(ctx, cfg, artifacts)
	}
}

// ComposePlatform builds the platform stack: the shared layer and
// services, identity and the authorizer, the pool group of the
// application with its tenant access role, the control plane, the platform
// REST API, the web app on CloudFront, the audit trail and, when
// configured, the VPC.
func ComposePlatform(ctx *pulumi.Context, cfg *Config, artifacts Artifacts) error {
	packages, err := artifacts.Packages(slices.Concat([]string{"authorizer", "usage"}, AppFunctions, ControlPlaneServices)...)
	if err != nil {
		return err
	}
	layerZip, err := artifacts.LayerZip()
	if err != nil {
		return err
	}
	webDir, err := artifacts.WebDir()
	if err != nil {
		return err
	}
	webFiles, err := WebFiles(webDir)
	if err != nil {
		return err
	}
	providers, err := NewProviders(ctx, cfg)
	if err != nil {
		return err
	}
	namer := Namer{Project: cfg.Project, Stack: cfg.Stack}
	layer, err := NewSharedLayer(ctx, "layer", &SharedLayerArgs{Namer: namer, ZipPath: layerZip}, providers.RegionalOpt())
	if err != nil {
		return err
	}
	shared, err := NewSharedServices(ctx, "shared", &SharedServicesArgs{
		Namer:              namer,
		DeletionProtection: !cfg.IsDev(),
	}, providers.RegionalOpt())
	if err != nil {
		return err
	}
	identity, err := NewIdentity(ctx, "identity", &IdentityArgs{
		Namer:              namer,
		Region:             cfg.Region,
		Identity:           cfg.Identity,
		AdminEmail:         cfg.AdminEmail,
		DeletionProtection: !cfg.IsDev(),
	}, providers.RegionalOpt())
	if err != nil {
		return err
	}
	authorizer, err := NewAuthorizer(ctx, "authorizer", &AuthorizerArgs{
		Namer:              namer,
		ZipPath:            packages["authorizer"],
		IssuerURL:          identity.IssuerURL,
		ClientID:           identity.ClientID,
		RegistryTable:      shared.RegistryTableName,
		RegistryTableArn:   shared.RegistryTableArn,
		DecisionTTLSeconds: cfg.Identity.AuthorizerCacheSeconds,
		LogRetentionDays:   cfg.LogRetentionDays,
	}, providers.RegionalOpt())
	if err != nil {
		return err
	}
	caller, err := aws.GetCallerIdentity(ctx, nil, pulumi.Provider(providers.Regional))
	if err != nil {
		return err
	}
	partition, err := aws.GetPartition(ctx, nil, pulumi.Provider(providers.Regional))
	if err != nil {
		return err
	}
	pool, err := NewTenantGroup(ctx, "pool", &TenantGroupArgs{
		Namer:            namer,
		Deployment:       DeploymentPool,
		Packages:         packages,
		LayerArn:         layer.LayerArn,
		PooledTableName:  shared.PooledTableName,
		PooledTableArn:   shared.PooledTableArn,
		AccountID:        caller.AccountId,
		Partition:        partition.Partition,
		Functions:        cfg.Functions,
		LogRetentionDays: cfg.LogRetentionDays,
		DeploymentConfig: cfg.CICD.Canary,
		MetricsNamespace: cfg.Observability.Namespace,
	}, providers.RegionalOpt())
	if err != nil {
		return err
	}
	tenantUsage, err := NewTenantUsage(ctx, "tenant-usage", &TenantUsageArgs{
		Namer:              namer,
		ZipPath:            packages["usage"],
		Namespace:          cfg.Observability.Namespace,
		RetentionDays:      cfg.Observability.UsageRetentionDays,
		LogRetentionDays:   cfg.LogRetentionDays,
		DeletionProtection: !cfg.IsDev(),
	}, providers.RegionalOpt())
	if err != nil {
		return err
	}
	controlPlane, err := NewControlPlane(ctx, "control-plane", &ControlPlaneArgs{
		Namer:            namer,
		Packages:         packages,
		Partition:        partition.Partition,
		Region:           cfg.Region,
		RegistryTable:    shared.RegistryTableName,
		RegistryTableArn: shared.RegistryTableArn,
		UserPoolID:       identity.UserPoolID,
		UserPoolArn:      identity.UserPoolArn,
		ClientID:         identity.ClientID,
		EventBusName:     shared.EventBusName,
		EventBusArn:      shared.EventBusArn,
		PooledTable:      shared.PooledTableName,
		PooledTableArn:   shared.PooledTableArn,
		Tiers:            cfg.Tiers,
		CacheSeconds:     cfg.Identity.AuthorizerCacheSeconds,
		Functions:        cfg.Functions,
		LogRetentionDays: cfg.LogRetentionDays,
		UsageTable:       tenantUsage.TableName,
		UsageTableArn:    tenantUsage.TableArn,
	}, providers.RegionalOpt())
	if err != nil {
		return err
	}
	definition, err := apidef.Merge(apidef.Application, apidef.ControlPlane)
	if err != nil {
		return err
	}
	functions := maps.Clone(pool.Functions)
	maps.Copy(functions, controlPlane.Functions)
	api, err := NewApi(ctx, "platform-api", &ApiArgs{
		Namer:                namer,
		Role:                 "platform",
		Definition:           definition,
		Functions:            functions,
		PlansRegistry:        shared.RegistryTableName,
		AuthorizerName:       authorizer.FunctionName,
		AuthorizerInvokeArn:  authorizer.InvokeArn,
		AuthorizerTTLSeconds: cfg.Identity.AuthorizerCacheSeconds,
		Tiers:                cfg.TiersOf(DeploymentPool),
		LogRetentionDays:     cfg.LogRetentionDays,
		ManageAccount:        true,
	}, providers.RegionalOpt())
	if err != nil {
		return err
	}
	// Every function of the stack gets its alarms, whoever added it.
	watched := map[string]*Function{"authorizer": authorizer.Function, "usage": tenantUsage.Function}
	for svc, fn := range functions {
		watched[svc] = fn
	}
	obsConfig := cfg.Observability
	if obsConfig.PipelineName == "" && cfg.CICD.PipelineEnabled() {
		obsConfig.PipelineName = PipelineName(namer) // the stack's own pipeline, when it has one
	}
	observability, err := NewObservability(ctx, "observability", &ObservabilityArgs{
		Namer:        namer,
		Config:       obsConfig,
		Region:       cfg.Region,
		Tiers:        cfg.TierNames(),
		Services:     AppFunctions,
		Functions:    watched,
		APIs:         []*Api{api},
		Tables:       []string{namer.Name("registry", MaxDynamoTableName), namer.Name("pooled-data", MaxDynamoTableName), UsageTableName(namer)},
		Authorizer:   authorizer.Function,
		Registration: controlPlane.Functions["registration"],
		EventBusName: shared.EventBusName,
		CostProvider: providers.Global,
	}, providers.RegionalOpt())
	if err != nil {
		return err
	}
	site, err := NewSite(ctx, "web", &SiteArgs{
		Namer:        namer,
		Web:          cfg.Web,
		Files:        webFiles,
		APIURL:       api.URL,
		Region:       cfg.Region,
		Tiers:        cfg.Tiers,
		UserPoolID:   identity.UserPoolID,
		ClientID:     identity.ClientID,
		Global:       providers.Global,
		ForceDestroy: cfg.IsDev(),
	}, providers.RegionalOpt())
	if err != nil {
		return err
	}
	ctx.Export(OutAlarmTopicArn, observability.AlarmTopicArn)
	ctx.Export(OutDashboardName, observability.DashboardName)
	ctx.Export(OutUsageTableName, tenantUsage.TableName)
	var siloBoundary pulumi.StringInput
	if cfg.CICD.PipelineEnabled() {
		// Silo tenants get their stacks from the tenant deployer, which
		// builds them from the repository with the backend's credentials
		// (validated with cicd.repository); without a repository there is
		// none, and silo stacks are made by hand or with tenantctl.
		organization := ctx.Organization()
		if organization == "" {
			organization = "organization" // what self-managed backends call every organisation
		}
		deployer, err := NewTenantDeployer(ctx, "tenant-deployer", &TenantDeployerArgs{
			Namer:     namer,
			Partition: partition.Partition, Region: cfg.Region, AccountID: caller.AccountId,
			PlatformStack:        organization + "/" + cfg.Project + "/" + cfg.Stack,
			Environment:          cfg.Environment,
			Repository:           cfg.CICD.Repository,
			Branch:               cfg.CICD.Branch,
			ConnectionArn:        cfg.CICD.ConnectionArn,
			Backend:              cfg.PulumiBackend,
			LogRetentionDays:     cfg.LogRetentionDays,
			RegistryTable:        shared.RegistryTableName,
			RegistryTableArn:     shared.RegistryTableArn,
			EventBusName:         shared.EventBusName,
			EventBusArn:          shared.EventBusArn,
			AuthorizerArn:        authorizer.FunctionArn,
			LayerArn:             layer.LayerArn,
			TenantAccessRoleArn:  pool.TenantRoleArn,
			PlatformAPIID:        api.RestApiID,
			PlatformUsagePlanIDs: api.UsagePlanIDs,
		}, providers.RegionalOpt())
		if err != nil {
			return err
		}
		ctx.Export(OutDeployerProject, deployer.ProjectName)
		ctx.Export(OutSiloBoundaryArn, deployer.SiloBoundaryArn)
		siloBoundary = deployer.SiloBoundaryArn
	}
	trailBucket := ""
	if cfg.AuditTrail.Enabled {
		trailBucket = AuditTrailBucketPrefix("audit")
		audit, err := NewAuditTrail(ctx, "audit", &AuditTrailArgs{
			Namer:         namer,
			RetentionDays: cfg.AuditTrail.RetentionDays,
			ForceDestroy:  cfg.IsDev(),
		}, providers.RegionalOpt())
		if err != nil {
			return err
		}
		ctx.Export(OutAuditTrailName, audit.TrailName)
	}
	if cfg.CICD.PipelineEnabled() {
		pipeline, err := NewPipeline(ctx, "cicd", &PipelineArgs{
			Namer:            namer,
			Partition:        partition.Partition,
			Region:           cfg.Region,
			AccountID:        caller.AccountId,
			CICD:             cfg.CICD,
			Backend:          cfg.PulumiBackend,
			Stack:            cfg.Stack,
			LogRetentionDays: cfg.LogRetentionDays,
			ForceDestroy:     cfg.IsDev(),
			VPC:              cfg.VPC.Enabled,
			CostTag:          cfg.Observability.ActivateCostTag,
			TrailBucket:      trailBucket,
			SiloBoundary:     siloBoundary,
			Environment:      cfg.Environment,
			RegistryTable:    shared.RegistryTableName,
			EventBus:         shared.EventBusName,
		}, providers.RegionalOpt())
		if err != nil {
			return err
		}
		ctx.Export(OutPipelineName, pipeline.PipelineName)
		ctx.Export(OutConnectionArn, pipeline.ConnectionArn)
		ctx.Export(OutNotificationTopic, pipeline.TopicArn)
	}
	if cfg.VPC.Enabled {
		network, err := NewNetwork(ctx, "network", &NetworkArgs{VPC: cfg.VPC}, providers.RegionalOpt())
		if err != nil {
			return err
		}
		ctx.Export(OutVpcID, network.VpcID)
	}
	ctx.Export(OutRegion, pulumi.String(cfg.Region))
	ctx.Export(OutEnvironment, pulumi.String(cfg.Environment))
	ctx.Export(OutTiers, pulumi.ToStringArray(cfg.TierNames()))
	ctx.Export(OutRegistryTableName, shared.RegistryTableName)
	ctx.Export(OutRegistryTableArn, shared.RegistryTableArn)
	ctx.Export(OutPooledTableName, shared.PooledTableName)
	ctx.Export(OutPooledTableArn, shared.PooledTableArn)
	ctx.Export(OutEventBusName, shared.EventBusName)
	ctx.Export(OutEventBusArn, shared.EventBusArn)
	ctx.Export(OutUserPoolID, identity.UserPoolID)
	ctx.Export(OutUserPoolArn, identity.UserPoolArn)
	ctx.Export(OutUserPoolClientID, identity.ClientID)
	ctx.Export(OutIssuerURL, identity.IssuerURL)
	ctx.Export(OutJwksURL, identity.JwksURL)
	ctx.Export(OutAuthorizerArn, authorizer.FunctionArn)
	ctx.Export(OutTenantRoleArn, pool.TenantRoleArn)
	ctx.Export(OutAuthorizerName, authorizer.FunctionName)
	ctx.Export(OutAuthorizerInvoke, authorizer.InvokeArn)
	ctx.Export(OutAPIURL, api.URL)
	ctx.Export(OutUsagePlanIDs, api.UsagePlanIDs)
	ctx.Export(OutLayerArn, layer.LayerArn)
	ctx.Export(OutReleases, pool.Releases)
	ctx.Export(OutSiteURL, site.URL)
	ctx.Export(OutSiteBucket, site.BucketName)
	ctx.Export(OutDistributionID, site.DistributionID)
	return nil
}

// ComposeTenant builds one silo tenant's stack: its own group of the
// application functions with its own table, and a typed reference to the
// platform stack it belongs to.
func ComposeTenant(ctx *pulumi.Context, cfg *Config, artifacts Artifacts) error {
	packages, err := artifacts.Packages(AppFunctions...)
	if err != nil {
		return err
	}
	providers, err := NewProviders(ctx, cfg)
	if err != nil {
		return err
	}
	namer := Namer{Project: cfg.Project, Stack: cfg.Stack}
	platform, err := NewPlatformRef(ctx, "platform", &PlatformRefArgs{Stack: cfg.PlatformStack})
	if err != nil {
		return err
	}
	reserved := 0
	if rc := cfg.Tiers[cfg.Tenant.Tier].ReservedConcurrency; rc != nil {
		reserved = *rc
	}
	silo, err := NewTenantGroup(ctx, "silo", &TenantGroupArgs{
		Namer:               namer,
		Deployment:          DeploymentSilo,
		TenantID:            cfg.Tenant.ID,
		Packages:            packages,
		LayerArn:            platform.LayerArn,
		Functions:           cfg.Functions,
		ReservedConcurrency: reserved,
		LogRetentionDays:    cfg.LogRetentionDays,
		DeletionProtection:  !cfg.IsDev(),
		DeploymentConfig:    cfg.CICD.Canary,
		MetricsNamespace:    cfg.Observability.Namespace,
		PermissionsBoundary: platform.SiloBoundaryArn,
	}, providers.RegionalOpt())
	if err != nil {
		return err
	}
	api, err := NewApi(ctx, "tenant-api", &ApiArgs{
		Namer:                namer,
		Role:                 "tenant",
		Definition:           apidef.Application,
		Functions:            silo.Functions,
		AuthorizerName:       platform.AuthorizerName,
		AuthorizerInvokeArn:  platform.AuthorizerInvoke,
		AuthorizerTTLSeconds: cfg.Identity.AuthorizerCacheSeconds,
		Tiers:                map[string]Tier{cfg.Tenant.Tier: cfg.Tiers[cfg.Tenant.Tier]},
		LogRetentionDays:     cfg.LogRetentionDays,
	}, providers.RegionalOpt())
	if err != nil {
		return err
	}
	// The silo tenant's functions, API and table get their alarms here; its
	// per-tenant metrics are on the platform's dashboard.
	observability, err := NewObservability(ctx, "observability", &ObservabilityArgs{
		Namer:     namer,
		Config:    cfg.Observability,
		Region:    cfg.Region,
		Tiers:     []string{cfg.Tenant.Tier},
		Services:  AppFunctions,
		Functions: silo.Functions,
		APIs:      []*Api{api},
		Tables:    []string{namer.Name("data", MaxDynamoTableName)},
	}, providers.RegionalOpt())
	if err != nil {
		return err
	}
	ctx.Export(OutAlarmTopicArn, observability.AlarmTopicArn)
	ctx.Export(OutAPIURL, api.URL)
	ctx.Export(OutUsagePlanIDs, api.UsagePlanIDs)
	ctx.Export(OutTenantID, pulumi.String(cfg.Tenant.ID))
	ctx.Export(OutTenantTier, pulumi.String(cfg.Tenant.Tier))
	ctx.Export(OutPlatformStack, pulumi.String(cfg.PlatformStack))
	ctx.Export(OutDataTableName, silo.TableName)
	ctx.Export(OutDataTableArn, silo.TableArn)
	ctx.Export(OutRegistryTableName, platform.RegistryTableName)
	ctx.Export(OutReleases, silo.Releases)
	return nil
}
