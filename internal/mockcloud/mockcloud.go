// Package mockcloud is the one recording Pulumi mock of tenantforge. It runs
// the program with pulumi.WithMocks, records every registration (type, name,
// inputs, parent, provider, dependencies) under a mutex, answers with
// realistic IDs, ARNs and computed outputs, answers the invokes the program
// uses and refuses any other. The infrastructure tests and the offline plan
// (cmd/plan) both use it, so what the tests check is what the plan shows.
package mockcloud

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// AccountID is the AWS account every synthesised ARN belongs to.
const AccountID = "123456789012"

// Resource is one recorded registration.
type Resource struct {
	URN    string
	Type   string
	Name   string
	ID     string
	Custom bool
	// Remote is true for plugin-managed components (awsx): they register no
	// children under mocks, so tests check the inputs passed to them.
	Remote bool
	Parent string
	// Provider is the URN of the provider managing this custom resource.
	Provider string
	// Providers maps package to provider URN for components.
	Providers    map[string]string
	Dependencies []string
	// IgnoreChanges are the inputs the program told the engine to leave
	// alone on update (the ignoreChanges option).
	IgnoreChanges []string
	Inputs        resource.PropertyMap
	Outputs       resource.PropertyMap
}

// IsProvider reports whether the resource is a provider instance.
func (r *Resource) IsProvider() bool { return strings.HasPrefix(r.Type, "pulumi:providers:") }

// Invoke is one recorded function call.
type Invoke struct {
	Token    string
	Args     resource.PropertyMap
	Provider string
}

// Recorder implements pulumi.MockResourceMonitor.
type Recorder struct {
	project, stack, region string
	// stackOutputs are the outputs StackReferences see, by stack name.
	stackOutputs map[string]map[string]any

	mu        sync.Mutex
	resources []*Resource
	byURN     map[string]*Resource
	invokes   []Invoke
}

// Recording is the result of one run of the program under the recorder.
type Recording struct {
	Project   string
	Stack     string
	Resources []*Resource
	Invokes   []Invoke
	// Outputs are the stack's exports, resolved; secret ones are listed in
	// SecretOutputs.
	Outputs       map[string]any
	SecretOutputs map[string]bool
}

// Options configure a run.
type Options struct {
	Project string
	Stack   string
	// Config is the stack configuration, fully qualified keys to raw values
	// as the Pulumi CLI passes them (objects as JSON).
	Config map[string]string
	// SecretKeys are the config keys that hold secrets.
	SecretKeys []string
	// StackOutputs are the outputs of the stacks the program references.
	StackOutputs map[string]map[string]any
}

// Run runs program under the recording mock. The returned recording is
// complete: all registrations have finished when Run returns.
func Run(opts Options, program pulumi.RunFunc) (*Recording, error) {
	region := opts.Config["aws:region"]
	if region == "" {
		region = "us-east-1"
	}
	rec := &Recorder{
		project: opts.Project, stack: opts.Stack, region: region,
		stackOutputs: opts.StackOutputs,
		byURN:        map[string]*Resource{},
	}
	out := &Recording{Project: opts.Project, Stack: opts.Stack, Outputs: map[string]any{}, SecretOutputs: map[string]bool{}}
	withConfig := func(info *pulumi.RunInfo) {
		info.Config = opts.Config
		info.ConfigSecretKeys = opts.SecretKeys
	}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if err := program(ctx); err != nil {
			return err
		}
		for name, v := range ctx.GetCurrentExportMap() {
			res, err := internals.UnsafeAwaitOutput(context.Background(), pulumi.ToOutput(v))
			if err != nil {
				return fmt.Errorf("stack output %q: %w", name, err)
			}
			plain, err := jsonPlain(res.Value)
			if err != nil {
				return fmt.Errorf("stack output %q: %w", name, err)
			}
			out.Outputs[name] = plain
			if res.Secret {
				out.SecretOutputs[name] = true
			}
		}
		return nil
	}, pulumi.WithMocks(opts.Project, opts.Stack, rec), withConfig)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out.Resources = slices.Clone(rec.resources)
	slices.SortFunc(out.Resources, func(a, b *Resource) int { return strings.Compare(a.URN, b.URN) })
	out.Invokes = slices.Clone(rec.invokes)
	if err != nil {
		return out, err
	}
	return out, nil
}

// NewResource records a registration and returns its ID and state.
func (r *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	res := &Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: args.Inputs,
	}
	if rpc := args.RegisterRPC; rpc != nil {
		res.Parent = rpc.GetParent()
		res.Remote = rpc.GetRemote()
		res.Dependencies = slices.Sorted(slices.Values(rpc.GetDependencies()))
		res.IgnoreChanges = rpc.GetIgnoreChanges()
		if len(rpc.GetProviders()) > 0 {
			res.Providers = map[string]string{}
			for pkg, ref := range rpc.GetProviders() {
				res.Providers[pkg] = providerURN(ref)
			}
		}
	} else if rpc := args.ReadRPC; rpc != nil {
		res.Parent = rpc.GetParent()
		res.Dependencies = slices.Sorted(slices.Values(rpc.GetDependencies()))
	}
	res.Provider = providerURN(args.Provider)
	res.URN = newURN(r.project, r.stack, res.Parent, res.Type, res.Name)

	id, state, err := r.synthesize(res, args.ID)
	if err != nil {
		return "", nil, err
	}
	res.ID, res.Outputs = id, state

	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.byURN[res.URN]; dup {
		return "", nil, fmt.Errorf("mockcloud: duplicate URN %s: two resources share a type and name under one parent", res.URN)
	}
	r.byURN[res.URN] = res
	r.resources = append(r.resources, res)
	return id, state, nil
}

// Call answers the invokes the program is allowed to use and fails on any
// other, so a new data source never slips into the program untested.
func (r *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	r.mu.Lock()
	r.invokes = append(r.invokes, Invoke{Token: args.Token, Args: args.Args, Provider: providerURN(args.Provider)})
	r.mu.Unlock()
	region := r.providerRegion(providerURN(args.Provider))
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": AccountID,
			"arn":       "arn:aws:iam::" + AccountID + ":user/tenantforge-deployer",
			"userId":    "AIDAMOCKDEPLOYER",
			"id":        AccountID,
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": region, "id": region, "region": region,
			"endpoint": "ec2." + region + ".amazonaws.com", "description": region,
		}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{
			"partition": "aws", "id": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws",
		}), nil
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": region, "names": []any{region + "a", region + "b", region + "c"},
			"zoneIds": []any{"use1-az1", "use1-az2", "use1-az3"},
		}), nil
	}
	return nil, fmt.Errorf("mockcloud: the program called invoke %q, which the recording mock does not answer: "+
		"build the value in Go (IAM documents are pure Go builders) or teach the mock this invoke with a realistic answer", args.Token)
}

// providerURN turns a provider reference "urn::id" into its URN.
func providerURN(ref string) string {
	if ref == "" {
		return ""
	}
	if i := strings.LastIndex(ref, "::"); i > 0 {
		return ref[:i]
	}
	return ref
}

func newURN(project, stack, parent, typ, name string) string {
	parentType := ""
	if parent != "" {
		if pt := string(resource.URN(parent).QualifiedType()); pt != string(resource.RootStackType) {
			parentType = pt
		}
	}
	return "urn:pulumi:" + stack + "::" + project + "::" + qualify(parentType, typ) + "::" + name
}

func qualify(parentType, typ string) string {
	if parentType == "" {
		return typ
	}
	return parentType + "$" + typ
}

func (r *Recorder) providerRegion(urn string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.byURN[urn]; ok {
		if v, ok := p.Inputs["region"]; ok && v.IsString() {
			return v.StringValue()
		}
	}
	return r.region
}

func (r *Recorder) providerDefaultTags(urn string) map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.byURN[urn]
	if !ok {
		return nil
	}
	dt, ok := p.Inputs["defaultTags"]
	if !ok {
		return nil
	}
	// Provider inputs arrive JSON-encoded for nested objects.
	m := decodeProviderObject(dt)
	tags, _ := m["tags"].(map[string]any)
	out := map[string]string{}
	for k, v := range tags {
		out[k], _ = v.(string)
	}
	return out
}

// stableHex derives a deterministic hex string from the resource's URN so
// plans and snapshots do not change between runs.
func stableHex(urn string, n int) string {
	sum := sha256.Sum256([]byte(urn))
	return hex.EncodeToString(sum[:])[:n]
}

// ErrNoStackOutputs is returned for a StackReference to a stack the run was
// not given outputs for.
var ErrNoStackOutputs = errors.New("mockcloud: no outputs were given for the referenced stack")

// jsonPlain turns a resolved output into the plain JSON-shaped value a stack
// output has in Pulumi's state ([]any, map[string]any, float64, ...).
func jsonPlain(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}
