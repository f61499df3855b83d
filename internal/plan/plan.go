// Package plan renders what `pulumi up` would create, without an AWS
// account: it runs the program under the recording mock for each stack file
// of the project and writes an inventory (JSON and Markdown) and an
// architecture diagram (Graphviz dot, and SVG where dot is installed).
package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/mockcloud"
	"github.com/tenantforge/tenantforge/internal/stackconfig"
)

// Document is the JSON form of a plan (DESIGN.md §3).
type Document struct {
	Project   string         `json:"project"`
	Stack     string         `json:"stack"`
	Resources []Resource     `json:"resources"`
	Outputs   map[string]any `json:"outputs"`
}

// Resource is one resource of the plan.
type Resource struct {
	URN          string         `json:"urn"`
	Type         string         `json:"type"`
	Name         string         `json:"name"`
	Parent       string         `json:"parent"`
	Provider     string         `json:"provider"`
	Inputs       map[string]any `json:"inputs"`
	Dependencies []string       `json:"dependencies"`
}

// Stack is one planned stack: the recording and the document built from it.
type Stack struct {
	Name      string
	Recording *mockcloud.Recording
	Document  *Document
}

// Planner runs the program for the stacks of one project directory.
type Planner struct {
	// Dir holds Pulumi.yaml and the stack files.
	Dir string
	// Artifacts are the Lambda packages the program references.
	Artifacts infra.Artifacts
	// Program builds the program to run; infra.Program by default.
	Program func(infra.Artifacts) pulumi.RunFunc
}

// PlanAll plans every stack in the directory. Platform stacks run first so
// that tenant stacks can read their outputs through StackReferences.
func (p *Planner) PlanAll() ([]*Stack, error) {
	names, err := stackconfig.StackNames(p.Dir)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no Pulumi.<stack>.yaml in %s", p.Dir)
	}
	return p.Plan(names...)
}

// Plan plans the named stacks (and the platform stacks they reference).
func (p *Planner) Plan(names ...string) ([]*Stack, error) {
	project, err := stackconfig.LoadProject(p.Dir)
	if err != nil {
		return nil, err
	}
	loaded := map[string]*stackconfig.Stack{}
	load := func(name string) (*stackconfig.Stack, error) {
		if s, ok := loaded[name]; ok {
			return s, nil
		}
		s, err := project.LoadStack(p.Dir, name)
		if err != nil {
			return nil, err
		}
		loaded[name] = s
		return s, nil
	}
	platformKey := project.Name + ":platformStack"
	outputs := map[string]map[string]any{}
	done := map[string]*Stack{}
	var run func(name string, depth int) (*Stack, error)
	run = func(name string, depth int) (*Stack, error) {
		if s, ok := done[name]; ok {
			return s, nil
		}
		if depth > 2 {
			return nil, fmt.Errorf("stack %s: platformStack references form a loop", name)
		}
		sc, err := load(name)
		if err != nil {
			return nil, err
		}
		if ref := sc.Config[platformKey]; ref != "" {
			local := path.Base(ref)
			if _, err := load(local); err != nil {
				return nil, fmt.Errorf("stack %s references platform stack %s, which has no Pulumi.%s.yaml here to plan: %w", name, ref, local, err)
			}
			platform, err := run(local, depth+1)
			if err != nil {
				return nil, err
			}
			outputs[ref] = platform.Recording.Outputs
		}
		s, err := p.planOne(project.Name, sc, outputs)
		if err != nil {
			return nil, err
		}
		done[name] = s
		return s, nil
	}
	var out []*Stack
	for _, name := range names {
		s, err := run(name, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *Planner) planOne(project string, sc *stackconfig.Stack, outputs map[string]map[string]any) (*Stack, error) {
	program := p.Program
	if program == nil {
		program = infra.Program
	}
	rec, err := mockcloud.Run(mockcloud.Options{
		Project:      project,
		Stack:        sc.Name,
		Config:       sc.Config,
		SecretKeys:   sc.SecretKeys,
		StackOutputs: outputs,
	}, program(p.Artifacts))
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", sc.Name, err)
	}
	return &Stack{Name: sc.Name, Recording: rec, Document: NewDocument(rec)}, nil
}

// NewDocument builds the plan document of a recording.
func NewDocument(rec *mockcloud.Recording) *Document {
	doc := &Document{Project: rec.Project, Stack: rec.Stack, Outputs: map[string]any{}, Resources: []Resource{}}
	for _, r := range rec.Resources {
		provider := r.Provider
		if provider == "" && r.Providers != nil {
			provider = r.Providers["aws"]
		}
		deps := r.Dependencies
		if deps == nil {
			deps = []string{}
		}
		doc.Resources = append(doc.Resources, Resource{
			URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent, Provider: provider,
			Inputs: r.PlainInputs(), Dependencies: deps,
		})
	}
	for k, v := range rec.Outputs {
		if rec.SecretOutputs[k] {
			v = stackconfig.Secret
		}
		doc.Outputs[k] = v
	}
	return doc
}

// JSON renders the document, indented and with sorted keys, so that a
// change to the program shows as a small diff.
func (d *Document) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep <, > and & readable in the snapshots
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// shortType turns "aws:dynamodb/table:Table" into "dynamodb.Table".
func shortType(t string) string {
	parts := strings.Split(t, ":")
	if len(parts) != 3 {
		return t
	}
	mod, _, _ := strings.Cut(parts[1], "/")
	if mod == "index" || mod == "" {
		return parts[0] + "." + parts[2]
	}
	return mod + "." + parts[2]
}

// components returns our own component resources (tenantforge:*), in URN
// order.
func (d *Document) components() []Resource {
	var out []Resource
	for _, r := range d.Resources {
		if strings.HasPrefix(r.Type, "tenantforge:") {
			out = append(out, r)
		}
	}
	return out
}

// owner returns the nearest tenantforge component above a resource.
func (d *Document) owner(r Resource) string {
	byURN := map[string]Resource{}
	for _, x := range d.Resources {
		byURN[x.URN] = x
	}
	for p, ok := byURN[r.Parent]; ok; p, ok = byURN[p.Parent] {
		if strings.HasPrefix(p.Type, "tenantforge:") {
			return p.URN
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
