// Command tenantctl provisions and updates silo tenants' stacks of this
// Pulumi project and keeps the tenant registry in step:
//
//	tenantctl provision <tenantId>     create or update the tenant's stack, activate the tenant
//	tenantctl deprovision <tenantId>   destroy and remove the tenant's stack
//	tenantctl rollout [-wave-size N] [-output text|json]
//	                                   the platform stack, then every silo stack in waves
//	tenantctl fail [-reason R] <tenantId>
//	                                   record a deployer failure (provisioning_failed)
//
// It runs the Pulumi CLI through the Automation API in -workdir (the
// repository root) against the backend the CLI is logged in to. Settings
// come from flags or the environment the tenant deployer's CodeBuild
// project sets: REGISTRY_TABLE, EVENT_BUS, PLATFORM_STACK, AWS_REGION,
// ENVIRONMENT. This file is wiring only; the work is in internal/tenantctl.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/tenantforge/tenantforge/internal/stackconfig"
	"github.com/tenantforge/tenantforge/internal/tenantctl"
	"github.com/tenantforge/tenantforge/shared/controlplane"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

const usage = `usage: tenantctl <command> [flags] [tenantId]

commands:
  provision <tenantId>     create or update the tenant's stack and activate the tenant
  deprovision <tenantId>   destroy and remove the tenant's stack
  rollout                  update the platform stack, then every silo stack in waves
  fail <tenantId>          record a failed deployment (status provisioning_failed)

run "tenantctl <command> -h" for the flags`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	cmd := args[0]
	fs := flag.NewFlagSet("tenantctl "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	table := fs.String("registry-table", os.Getenv("REGISTRY_TABLE"), "the tenant registry table (REGISTRY_TABLE)")
	bus := fs.String("event-bus", os.Getenv("EVENT_BUS"), "the lifecycle event bus (EVENT_BUS)")
	var s tenantctl.Settings
	fs.StringVar(&s.PlatformStack, "platform-stack", os.Getenv("PLATFORM_STACK"), "the platform stack as the backend names it, e.g. myorg/tenantforge/dev (PLATFORM_STACK)")
	fs.StringVar(&s.Region, "region", os.Getenv("AWS_REGION"), "the platform's region (AWS_REGION)")
	fs.StringVar(&s.Environment, "environment", os.Getenv("ENVIRONMENT"), "the platform's environment (ENVIRONMENT)")
	workdir := fs.String("workdir", ".", "the repository root, where Pulumi.yaml is")
	attempts := fs.Int("retries", 5, "attempts when another update holds the stack")
	delay := fs.Duration("retry-delay", 15*time.Second, "first wait before retrying a locked stack (doubles each time)")
	wave := fs.Int("wave-size", 5, "rollout: tenant stacks updated in parallel per wave")
	output := fs.String("output", "text", "rollout: report as text or json")
	reason := fs.String("reason", "", "fail: why the deployment failed")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var tenantID string
	switch cmd {
	case "provision", "deprovision", "fail":
		if fs.NArg() != 1 {
			fmt.Fprintf(stderr, "tenantctl %s: give exactly one tenant id, e.g. tenantctl %s t0a1b2c3d4e5f\n", cmd, cmd)
			return 2
		}
		tenantID = fs.Arg(0)
	case "rollout":
		if fs.NArg() != 0 || (*output != "text" && *output != "json") {
			fmt.Fprintln(stderr, "tenantctl rollout: takes no arguments; -output is text or json")
			return 2
		}
	default:
		fmt.Fprintf(stderr, "tenantctl: unknown command %q\n%s\n", cmd, usage)
		return 2
	}
	var problems []error
	if *table == "" {
		problems = append(problems, errors.New("-registry-table (REGISTRY_TABLE) is empty; set the platform's registryTableName output"))
	}
	if cmd != "fail" {
		if *bus == "" {
			problems = append(problems, errors.New("-event-bus (EVENT_BUS) is empty; set the platform's eventBusName output"))
		}
		problems = append(problems, s.Validate())
	}
	if err := errors.Join(problems...); err != nil {
		fmt.Fprintf(stderr, "tenantctl %s:\n%v\n", cmd, err)
		return 2
	}

	if cmd == "provision" || cmd == "rollout" {
		inherited, err := platformConfig(*workdir, s.PlatformStack)
		if err != nil {
			fmt.Fprintf(stderr, "tenantctl %s: %v\n", cmd, err)
			return 2
		}
		s.PlatformConfig = inherited
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(s.Region))
	if err != nil {
		fmt.Fprintf(stderr, "tenantctl: AWS configuration: %v\n", err)
		return 1
	}
	c := &tenantctl.Controller{
		Registry: registry.New(dynamodb.NewFromConfig(awsCfg), *table),
		Stacks:   &tenantctl.PulumiStacks{WorkDir: *workdir, Progress: stderr},
		Keys:     &tenantctl.GatewayPlanKeys{Client: apigateway.NewFromConfig(awsCfg)},
		Events:   &controlplane.EventBus{Client: eventbridge.NewFromConfig(awsCfg), Bus: *bus},
		Settings: s,
		Retry:    tenantctl.Retry{Attempts: *attempts, Delay: *delay},
		Logger:   logger,
	}
	switch cmd {
	case "provision":
		rec, err := c.Provision(ctx, tenantID)
		if err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "tenant %s is %s: stack %s, API %s\n", rec.TenantID, rec.Status, rec.SiloStack, rec.APIURL)
	case "deprovision":
		rec, err := c.Deprovision(ctx, tenantID)
		if err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "tenant %s (%s): %s\n", rec.TenantID, rec.Status, rec.Reason)
	case "fail":
		rec, err := c.Fail(ctx, tenantID, *reason)
		if err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "tenant %s is %s: %s\n", rec.TenantID, rec.Status, rec.Reason)
	case "rollout":
		rep, err := c.Rollout(ctx, *wave)
		if err != nil {
			return fail(stderr, err)
		}
		write := rep.WriteText
		if *output == "json" {
			write = rep.WriteJSON
		}
		if err := write(stdout); err != nil {
			return fail(stderr, err)
		}
		if rep.Failed {
			return 1
		}
	}
	return 0
}

// platformConfig reads the keys tenant stacks inherit from the platform
// stack's file in the repository (Pulumi.<stack>.yaml), with Pulumi.yaml's
// defaults for keys it does not set.
func platformConfig(workdir, platformStack string) (map[string]string, error) {
	project, err := stackconfig.LoadProject(workdir)
	if err != nil {
		return nil, fmt.Errorf("reading Pulumi.yaml in -workdir %s: %w", workdir, err)
	}
	short := tenancy.ShortStackName(platformStack)
	stack, err := project.LoadStack(workdir, short)
	if err != nil {
		return nil, fmt.Errorf("reading the platform stack's config (Pulumi.%s.yaml in -workdir %s), which tenant stacks inherit: %w", short, workdir, err)
	}
	return tenantctl.Inherit(stack.Config, stack.SecretKeys)
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "tenantctl: %v\n", err)
	return 1
}
