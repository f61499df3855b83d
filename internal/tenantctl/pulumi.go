package tenantctl

import (
	"context"
	"fmt"
	"io"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
)

// PulumiStacks is Stacks on the Pulumi Automation API: stacks of the
// project in WorkDir (the repository root, where Pulumi.yaml is), run by
// the Pulumi CLI on the PATH against the backend it is logged in to
// (PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN, PULUMI_CONFIG_PASSPHRASE are
// read from the environment by the CLI).
type PulumiStacks struct {
	WorkDir string
	// Progress receives the engine's output (os.Stderr in tenantctl).
	Progress io.Writer
}

var _ Stacks = (*PulumiStacks)(nil)

// classify maps the Automation API's errors to ours.
func classify(stack string, err error) error {
	switch {
	case err == nil:
		return nil
	case auto.IsConcurrentUpdateError(err):
		return fmt.Errorf("%w (stack %s): %v", ErrConcurrentUpdate, stack, err)
	case auto.IsSelectStack404Error(err):
		return fmt.Errorf("%w: %s", ErrStackNotFound, stack)
	default:
		return err
	}
}

func (p *PulumiStacks) selectStack(ctx context.Context, stack string) (auto.Stack, error) {
	s, err := auto.SelectStackLocalSource(ctx, stack, p.WorkDir)
	return s, classify(stack, err)
}

// Ensure creates or selects the stack.
func (p *PulumiStacks) Ensure(ctx context.Context, stack string) error {
	_, err := auto.UpsertStackLocalSource(ctx, stack, p.WorkDir)
	return classify(stack, err)
}

// SetConfig sets path-style config keys on the stack.
func (p *PulumiStacks) SetConfig(ctx context.Context, stack string, config map[string]string) error {
	s, err := p.selectStack(ctx, stack)
	if err != nil {
		return err
	}
	cm := auto.ConfigMap{}
	for k, v := range config {
		cm[k] = auto.ConfigValue{Value: v}
	}
	return classify(stack, s.SetAllConfigWithOptions(ctx, cm, &auto.ConfigOptions{Path: true}))
}

// Up deploys the stack and returns its outputs (secret outputs included,
// as plain values).
func (p *PulumiStacks) Up(ctx context.Context, stack string) (map[string]any, error) {
	s, err := p.selectStack(ctx, stack)
	if err != nil {
		return nil, err
	}
	var opts []optup.Option
	if p.Progress != nil {
		opts = append(opts, optup.ProgressStreams(p.Progress), optup.ErrorProgressStreams(p.Progress))
	}
	res, err := s.Up(ctx, opts...)
	if err != nil {
		return nil, classify(stack, err)
	}
	out := make(map[string]any, len(res.Outputs))
	for k, v := range res.Outputs {
		out[k] = v.Value
	}
	return out, nil
}

// Destroy deletes the stack's resources.
func (p *PulumiStacks) Destroy(ctx context.Context, stack string) error {
	s, err := p.selectStack(ctx, stack)
	if err != nil {
		return err
	}
	var opts []optdestroy.Option
	if p.Progress != nil {
		opts = append(opts, optdestroy.ProgressStreams(p.Progress), optdestroy.ErrorProgressStreams(p.Progress))
	}
	_, err = s.Destroy(ctx, opts...)
	return classify(stack, err)
}

// Remove deletes the stack from the backend.
func (p *PulumiStacks) Remove(ctx context.Context, stack string) error {
	s, err := p.selectStack(ctx, stack)
	if err != nil {
		return err
	}
	return classify(stack, s.Workspace().RemoveStack(ctx, stack))
}
