// Package stackconfig reads a Pulumi project's stack files the way the Pulumi
// CLI hands them to a program: Pulumi.yaml's config schema supplies the
// defaults and the types, Pulumi.<stack>.yaml the values, and the result is
// the flat key/value map a program sees (objects and arrays as JSON).
package stackconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Secret is the value a secure config value is shown as; the offline plan
// has no key to decrypt it.
const Secret = "[secret]"

// Project is the part of Pulumi.yaml the loader needs.
type Project struct {
	Name        string                `yaml:"name"`
	Runtime     any                   `yaml:"runtime"`
	Description string                `yaml:"description"`
	Config      map[string]SchemaItem `yaml:"config"`
}

// SchemaItem is one declared config key.
type SchemaItem struct {
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
	Default     any    `yaml:"default"`
	Secret      bool   `yaml:"secret"`
	Value       any    `yaml:"value"`
}

// Stack is one loaded stack: its name and the config the program sees.
type Stack struct {
	Name       string
	Config     map[string]string
	SecretKeys []string
}

// LoadProject reads Pulumi.yaml in dir.
func LoadProject(dir string) (*Project, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return nil, err
	}
	var p Project
	if err := yaml.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	if p.Name == "" {
		return nil, errors.New("the project in Pulumi.yaml has no name: set name: tenantforge")
	}
	return &p, nil
}

// StackNames lists the stacks that have a Pulumi.<stack>.yaml in dir.
func StackNames(dir string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "Pulumi."), ".yaml")
		if name != "" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// LoadStack reads Pulumi.<stack>.yaml and merges the project defaults, as
// `pulumi up` does. A value whose type does not match the schema is an error.
func (p *Project) LoadStack(dir, stack string) (*Stack, error) {
	file := "Pulumi." + stack + ".yaml"
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	out := &Stack{Name: stack, Config: map[string]string{}}
	for k, v := range doc.Config {
		full := k
		if !strings.Contains(k, ":") {
			full = p.Name + ":" + k
		}
		if m, ok := v.(map[string]any); ok && len(m) == 1 && m["secure"] != nil {
			out.Config[full] = Secret
			out.SecretKeys = append(out.SecretKeys, full)
			continue
		}
		if item, declared := p.Config[strings.TrimPrefix(full, p.Name+":")]; declared && strings.HasPrefix(full, p.Name+":") {
			if err := checkType(item.Type, v); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", file, full, err)
			}
		}
		s, err := Encode(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, full, err)
		}
		out.Config[full] = s
	}
	for k, item := range p.Config {
		full := k
		if !strings.Contains(k, ":") {
			full = p.Name + ":" + k
		}
		if _, set := out.Config[full]; set {
			continue
		}
		def := item.Default
		if def == nil {
			def = item.Value
		}
		if def == nil {
			return nil, fmt.Errorf("%s: %s is required by Pulumi.yaml and not set: run `pulumi config set %s <value> --stack %s`", file, full, k, stack)
		}
		s, err := Encode(def)
		if err != nil {
			return nil, fmt.Errorf("the default of %s in Pulumi.yaml: %w", k, err)
		}
		out.Config[full] = s
	}
	slices.Sort(out.SecretKeys)
	return out, nil
}

// Encode renders a config value as the string the program receives.
func Encode(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool:
		return strconv.FormatBool(t), nil
	case int:
		return strconv.Itoa(t), nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case nil:
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// AssemblePaths turns config set with path keys ("tenantforge:tenant.id",
// as `pulumi config set --path` takes them) into top-level keys as the
// program receives them: nested objects rendered as JSON, a leaf that reads
// as an integer or boolean stored with that type, every other leaf as a
// string (the Pulumi CLI's documented rules). Keys without a path pass
// through.
func AssemblePaths(flat map[string]string) (map[string]string, error) {
	objects := map[string]map[string]any{}
	out := map[string]string{}
	for k, v := range flat {
		top, path, nested := strings.Cut(k, ".")
		if !nested {
			out[k] = v
			continue
		}
		if objects[top] == nil {
			objects[top] = map[string]any{}
		}
		node := objects[top]
		parts := strings.Split(path, ".")
		for _, p := range parts[:len(parts)-1] {
			if node[p] == nil {
				node[p] = map[string]any{}
			}
			child, ok := node[p].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("config %s: %s is set both as a value and as an object; set one or the other", k, p)
			}
			node = child
		}
		var typed any = v
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			typed = n
		} else if b, err := strconv.ParseBool(v); err == nil {
			typed = b
		}
		leaf := parts[len(parts)-1]
		if _, isObject := node[leaf].(map[string]any); isObject {
			return nil, fmt.Errorf("config %s: %s is set both as a value and as an object; set one or the other", k, leaf)
		}
		node[leaf] = typed
	}
	for k, obj := range objects {
		b, err := json.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", k, err)
		}
		out[k] = string(b)
	}
	return out, nil
}

func checkType(typ string, v any) error {
	ok := true
	switch typ {
	case "string":
		_, ok = v.(string)
	case "integer":
		_, ok = v.(int)
	case "boolean":
		_, ok = v.(bool)
	case "array":
		_, ok = v.([]any)
	case "object":
		_, ok = v.(map[string]any)
	}
	if !ok {
		return fmt.Errorf("the type is %s in Pulumi.yaml but the stack file sets a %T; fix the value", typ, v)
	}
	return nil
}
