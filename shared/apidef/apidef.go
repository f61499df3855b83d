// Package apidef holds the OpenAPI definitions the REST APIs are built
// from (embedded), renders them for API Gateway with the stack's function
// ARNs, and lists their routes for the local gateway and the tests.
package apidef

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Application is the application API (products and orders).
//
//go:embed application.yaml
var Application []byte

// ControlPlane holds the control plane's routes on the platform API.
//
//go:embed controlplane.yaml
var ControlPlane []byte

// Merge adds the paths and component schemas of more definitions to the
// first one and returns the merged definition (YAML). A path or schema
// defined twice is an error, so two files cannot fight over a route.
func Merge(base []byte, more ...[]byte) ([]byte, error) {
	doc, err := Parse(base)
	if err != nil {
		return nil, err
	}
	paths := doc["paths"].(map[string]any)
	components, _ := doc["components"].(map[string]any)
	if components == nil {
		components = map[string]any{}
		doc["components"] = components
	}
	schemas, _ := components["schemas"].(map[string]any)
	if schemas == nil {
		schemas = map[string]any{}
		components["schemas"] = schemas
	}
	for _, def := range more {
		extra, err := Parse(def)
		if err != nil {
			return nil, err
		}
		for p, item := range extra["paths"].(map[string]any) {
			if _, dup := paths[p]; dup {
				return nil, fmt.Errorf("apidef: path %s is defined twice", p)
			}
			paths[p] = item
		}
		if c, ok := extra["components"].(map[string]any); ok {
			if sc, ok := c["schemas"].(map[string]any); ok {
				for name, schema := range sc {
					if _, dup := schemas[name]; dup {
						return nil, fmt.Errorf("apidef: schema %s is defined twice", name)
					}
					schemas[name] = schema
				}
			}
		}
	}
	return yaml.Marshal(doc)
}

// Route is one operation of a definition.
type Route struct {
	Method string
	Path   string
	// Service is the function that serves it (from the integration's ${fn:...}).
	Service string
}

var placeholder = regexp.MustCompile(`\$\{([a-zA-Z]+(:[a-z]+)?)\}`)

// Parse reads a definition (YAML anchors resolved).
func Parse(def []byte) (map[string]any, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(def, &doc); err != nil {
		return nil, fmt.Errorf("apidef: %w", err)
	}
	if doc["openapi"] == nil || doc["paths"] == nil {
		return nil, fmt.Errorf("apidef: not an OpenAPI 3 definition with paths")
	}
	return doc, nil
}

// Routes lists the operations of a definition.
func Routes(def []byte) ([]Route, error) {
	doc, err := Parse(def)
	if err != nil {
		return nil, err
	}
	return RoutesOf(doc), nil
}

// RoutesOf lists the operations of a parsed definition (Parse).
func RoutesOf(doc map[string]any) []Route {
	paths, _ := doc["paths"].(map[string]any)
	var out []Route
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			service := ""
			if o, ok := op.(map[string]any); ok {
				if integ, ok := o["x-amazon-apigateway-integration"].(map[string]any); ok {
					if uri, _ := integ["uri"].(string); strings.HasPrefix(uri, "${fn:") {
						service = strings.TrimSuffix(strings.TrimPrefix(uri, "${fn:"), "}")
					}
				}
			}
			out = append(out, Route{Method: strings.ToUpper(method), Path: path, Service: service})
		}
	}
	slices.SortFunc(out, func(a, b Route) int { return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method) })
	return out
}

// Render fills the placeholders and returns the definition as JSON for a
// RestApi body. Every placeholder must have a value, and every value must
// be used, so a renamed function cannot leave a route unwired.
func Render(def []byte, values map[string]string) (string, error) {
	doc, err := Parse(def)
	if err != nil {
		return "", err
	}
	delete(doc, "x-tenantforge-integrations") // anchors only; API Gateway does not need it
	used := map[string]bool{}
	var missing []string
	var walk func(v any) any
	walk = func(v any) any {
		switch t := v.(type) {
		case map[string]any:
			for k, e := range t {
				t[k] = walk(e)
			}
			return t
		case []any:
			for i, e := range t {
				t[i] = walk(e)
			}
			return t
		case string:
			if m := placeholder.FindStringSubmatch(t); m != nil && m[0] == t {
				val, ok := values[m[1]]
				if !ok {
					missing = append(missing, m[1])
					return t
				}
				used[m[1]] = true
				return typed(val)
			}
			return t
		}
		return v
	}
	walk(doc)
	if len(missing) > 0 {
		slices.Sort(missing)
		return "", fmt.Errorf("apidef: no value for %v", slices.Compact(missing))
	}
	for k := range values {
		if !used[k] {
			return "", fmt.Errorf("apidef: value %q is used by no route", k)
		}
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// typed keeps numbers numbers (authorizerResultTtlInSeconds).
func typed(s string) any {
	var n json.Number
	if json.Unmarshal([]byte(s), &n) == nil && !strings.HasPrefix(s, "\"") {
		if i, err := n.Int64(); err == nil {
			return i
		}
	}
	return s
}
