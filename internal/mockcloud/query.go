package mockcloud

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// OfType returns the recorded resources of a type token, in URN order.
func (r *Recording) OfType(typ string) []*Resource {
	var out []*Resource
	for _, res := range r.Resources {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}

// Find returns the resource of a type and logical name, or an error that
// lists what was registered instead.
func (r *Recording) Find(typ, name string) (*Resource, error) {
	var names []string
	for _, res := range r.Resources {
		if res.Type == typ {
			if res.Name == name {
				return res, nil
			}
			names = append(names, res.Name)
		}
	}
	return nil, fmt.Errorf("no %s named %q was registered (registered: %v)", typ, name, names)
}

// ByURN returns the resource with that URN, or nil.
func (r *Recording) ByURN(urn string) *Resource {
	for _, res := range r.Resources {
		if res.URN == urn {
			return res
		}
	}
	return nil
}

// Children returns the resources whose parent is urn.
func (r *Recording) Children(urn string) []*Resource {
	var out []*Resource
	for _, res := range r.Resources {
		if res.Parent == urn {
			out = append(out, res)
		}
	}
	return out
}

// Ancestors returns the chain of parents of a resource, nearest first.
func (r *Recording) Ancestors(res *Resource) []*Resource {
	var out []*Resource
	for p := r.ByURN(res.Parent); p != nil; p = r.ByURN(p.Parent) {
		out = append(out, p)
		if len(out) > len(r.Resources) {
			break // a cycle cannot happen in Pulumi; never loop forever
		}
	}
	return out
}

// CountByType counts the recorded resources per type token.
func (r *Recording) CountByType() map[string]int {
	out := map[string]int{}
	for _, res := range r.Resources {
		out[res.Type]++
	}
	return out
}

// Input returns a resource input as a plain Go value (see Plain).
func (res *Resource) Input(key string) any {
	v, ok := res.Inputs[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	return Plain(v)
}

// Output returns a resource output as a plain Go value.
func (res *Resource) Output(key string) any {
	v, ok := res.Outputs[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	return Plain(v)
}

// PlainInputs returns all inputs as plain Go values.
func (res *Resource) PlainInputs() map[string]any {
	return PlainMap(res.Inputs)
}

// PolicyInput unmarshals a JSON policy document held in an input ("policy",
// "assumeRolePolicy").
func (res *Resource) PolicyInput(key string) (map[string]any, error) {
	raw, ok := res.Input(key).(string)
	if !ok {
		return nil, fmt.Errorf("%s %s: input %q is not a JSON string (got %T)", res.Type, res.Name, key, res.Input(key))
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return nil, fmt.Errorf("%s %s: input %q is not valid JSON: %w", res.Type, res.Name, key, err)
	}
	return doc, nil
}

// Plain turns a property value into plain Go values: secrets become
// "[secret]", unknown values "[unknown]", assets and archives their path.
func Plain(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return "[secret]"
	case v.IsComputed():
		return "[unknown]"
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret {
			return "[secret]"
		}
		if !o.Known {
			return "[unknown]"
		}
		return Plain(o.Element)
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = Plain(e)
		}
		return out
	case v.IsObject():
		return PlainMap(v.ObjectValue())
	case v.IsAsset():
		a := v.AssetValue()
		return map[string]any{"asset": firstNonEmpty(a.Path, a.URI, "[text]")}
	case v.IsArchive():
		a := v.ArchiveValue()
		if len(a.Assets) > 0 {
			return map[string]any{"archive": fmt.Sprintf("[%d assets]", len(a.Assets))}
		}
		return map[string]any{"archive": firstNonEmpty(a.Path, a.URI)}
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	}
	return fmt.Sprintf("%v", v.V)
}

// PlainMap turns a property map into plain Go values.
func PlainMap(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if strings.HasPrefix(string(k), "__") {
			continue // engine bookkeeping such as __defaults
		}
		out[string(k)] = Plain(v)
	}
	return out
}

// SortedTypes returns the distinct type tokens of the recording.
func (r *Recording) SortedTypes() []string {
	seen := map[string]bool{}
	for _, res := range r.Resources {
		seen[res.Type] = true
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
