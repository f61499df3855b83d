package tests

import (
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/lambdabuild"
	"github.com/tenantforge/tenantforge/internal/mockcloud"
	"github.com/tenantforge/tenantforge/internal/plan"
	"github.com/tenantforge/tenantforge/internal/stackconfig"
)

// repoRoot is where Pulumi.yaml and the stack files are, seen from tests/.
const repoRoot = ".."

// stackConfig loads a stack file of the repo as the Pulumi CLI would pass it
// to the program, then applies overrides ("key", "value" pairs; keys without
// a namespace are tenantforge keys).
func stackConfig(t *testing.T, stack string, overrides ...string) map[string]string {
	t.Helper()
	project, err := stackconfig.LoadProject(repoRoot)
	require.NoError(t, err)
	sc, err := project.LoadStack(repoRoot, stack)
	require.NoError(t, err)
	cfg := maps.Clone(sc.Config)
	for i := 0; i+1 < len(overrides); i += 2 {
		k := overrides[i]
		if !strings.Contains(k, ":") {
			k = infra.ConfigNamespace + ":" + k
		}
		cfg[k] = overrides[i+1]
	}
	return cfg
}

// platformOutputs plans the dev platform stack and returns its outputs, as
// a tenant stack's StackReference sees them.
func platformOutputs(t *testing.T) map[string]map[string]any {
	t.Helper()
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	return map[string]map[string]any{"organization/tenantforge/dev": rec.Outputs}
}

// run runs the program for a stack with the given config under the
// recording mock and fails the test if the program fails.
func run(t *testing.T, stack string, config map[string]string, refs map[string]map[string]any) *mockcloud.Recording {
	t.Helper()
	rec, err := tryRun(stack, config, refs)
	require.NoError(t, err, "the program failed for stack %s", stack)
	return rec
}

func tryRun(stack string, config map[string]string, refs map[string]map[string]any) (*mockcloud.Recording, error) {
	return mockcloud.Run(mockcloud.Options{
		Project:      "tenantforge",
		Stack:        stack,
		Config:       config,
		StackOutputs: refs,
	}, infra.Program(packages))
}

// packages holds a stand-in zip for every function under lambdas/: the
// infrastructure tests check what the program registers, not the code, so
// they do not need `make build`. TestMain creates it.
var packages infra.Artifacts

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tenantforge-packages-")
	if err != nil {
		panic(err)
	}
	lambdas, err := lambdabuild.WriteStandIns(repoRoot, dir)
	if err != nil {
		panic(err)
	}
	packages = infra.Artifacts{Dir: lambdas}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// planRepo plans every stack file of the repo, as `make plan` does.
func planRepo(t *testing.T) []*plan.Stack {
	t.Helper()
	p := &plan.Planner{Dir: repoRoot, Artifacts: packages}
	stacks, err := p.PlanAll()
	require.NoError(t, err)
	return stacks
}

func find(t *testing.T, rec *mockcloud.Recording, typ, name string) *mockcloud.Resource {
	t.Helper()
	r, err := rec.Find(typ, name)
	require.NoError(t, err)
	return r
}
