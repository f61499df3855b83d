package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Markdown renders the plan as a table of resources by component and the
// resource counts by type.
func (d *Document) Markdown() []byte {
	var b bytes.Buffer
	comps := d.components()
	fmt.Fprintf(&b, "# Plan: %s / %s\n\n", d.Project, d.Stack)
	fmt.Fprintf(&b, "What `pulumi up --stack %s` would register, rendered offline under the recording mock: "+
		"%d resources, %d of them tenantforge components.\n\n", d.Stack, len(d.Resources), len(comps))

	b.WriteString("## Resources by component\n\n")
	groups := map[string][]Resource{}
	for _, r := range d.Resources {
		if strings.HasPrefix(r.Type, "tenantforge:") {
			continue
		}
		groups[d.owner(r)] = append(groups[d.owner(r)], r)
	}
	writeGroup := func(title string, rs []Resource) {
		fmt.Fprintf(&b, "### %s\n\n| Resource | Type | Provider |\n|---|---|---|\n", title)
		if len(rs) == 0 {
			b.WriteString("| (none of its own) | | |\n")
		}
		for _, r := range rs {
			fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", r.Name, r.Type, providerName(r.Provider))
		}
		b.WriteString("\n")
	}
	writeGroup("Stack level (providers, references)", groups[""])
	for _, c := range comps {
		writeGroup(fmt.Sprintf("`%s` (%s)", c.Name, c.Type), groups[c.URN])
	}

	b.WriteString("## Counts by type\n\n| Type | Count |\n|---|---:|\n")
	counts := map[string]int{}
	for _, r := range d.Resources {
		counts[r.Type]++
	}
	for _, t := range sortedKeys(counts) {
		fmt.Fprintf(&b, "| `%s` | %d |\n", t, counts[t])
	}
	fmt.Fprintf(&b, "| **total** | **%d** |\n\n", len(d.Resources))

	b.WriteString("## Outputs\n\n| Output | Value |\n|---|---|\n")
	for _, k := range sortedKeys(d.Outputs) {
		v, _ := json.Marshal(d.Outputs[k])
		fmt.Fprintf(&b, "| `%s` | `%s` |\n", k, v)
	}
	return b.Bytes()
}

func providerName(urn string) string {
	if urn == "" {
		return ""
	}
	return urn[strings.LastIndex(urn, "::")+2:]
}

// Dot renders the architecture diagram: every component is a cluster
// holding its resources (nested as the components nest), and arrows go from
// a resource to the resources it depends on. Providers are left out: every
// resource uses one.
func (d *Document) Dot() []byte {
	var b bytes.Buffer
	ids := map[string]string{}
	for i, r := range d.Resources {
		ids[r.URN] = fmt.Sprintf("r%d", i)
	}
	children := map[string][]Resource{}
	for _, r := range d.Resources {
		if strings.HasPrefix(r.Type, "pulumi:providers:") {
			continue
		}
		parent := r.Parent
		if _, known := ids[parent]; !known {
			parent = ""
		}
		children[parent] = append(children[parent], r)
	}
	fmt.Fprintf(&b, "digraph %q {\n", d.Project+"/"+d.Stack)
	b.WriteString("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, labelloc=t, label=" +
		quote(fmt.Sprintf("%s / %s", d.Project, d.Stack)) + "];\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", color=\"#4a6fa5\", fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  edge [color=\"#7a7a7a\", arrowsize=0.6];\n")
	var walk func(parent string, indent string)
	walk = func(parent, indent string) {
		for _, r := range children[parent] {
			if strings.HasPrefix(r.Type, "tenantforge:") {
				fmt.Fprintf(&b, "%ssubgraph cluster_%s {\n", indent, ids[r.URN])
				fmt.Fprintf(&b, "%s  label=%s; style=\"rounded,dashed\"; color=\"#4a6fa5\";\n", indent, quote(r.Name+"\n"+r.Type))
				walk(r.URN, indent+"  ")
				fmt.Fprintf(&b, "%s}\n", indent)
				continue
			}
			fill := "#eef3fb"
			if len(children[r.URN]) == 0 && !strings.HasPrefix(r.Type, "aws:") {
				fill = "#fdf1dc" // remote components and references
			}
			fmt.Fprintf(&b, "%s%s [label=%s, fillcolor=%q];\n", indent, ids[r.URN], quote(r.Name+"\n"+shortType(r.Type)), fill)
			walk(r.URN, indent)
		}
	}
	walk("", "  ")
	for _, r := range d.Resources {
		if !drawn(r) {
			continue
		}
		for _, dep := range r.Dependencies {
			if target := d.find(dep); target != nil && drawn(*target) {
				fmt.Fprintf(&b, "  %s -> %s;\n", ids[r.URN], ids[dep])
			}
		}
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func drawn(r Resource) bool {
	return !strings.HasPrefix(r.Type, "tenantforge:") && !strings.HasPrefix(r.Type, "pulumi:providers:")
}

func (d *Document) find(urn string) *Resource {
	for i := range d.Resources {
		if d.Resources[i].URN == urn {
			return &d.Resources[i]
		}
	}
	return nil
}

func quote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"`
}

// Files are the paths Write produced.
type Files struct {
	JSON, Markdown, Dot, SVG string
}

// Write writes <stack>.json, .md and .dot into dir, and .svg when Graphviz's
// dot is on the PATH. SVG is "" when dot is missing.
func (d *Document) Write(dir string) (Files, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Files{}, err
	}
	base := filepath.Join(dir, d.Stack)
	f := Files{JSON: base + ".json", Markdown: base + ".md", Dot: base + ".dot"}
	js, err := d.JSON()
	if err != nil {
		return Files{}, err
	}
	for path, content := range map[string][]byte{f.JSON: js, f.Markdown: d.Markdown(), f.Dot: d.Dot()} {
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return Files{}, err
		}
	}
	if dot, err := exec.LookPath("dot"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, dot, "-Tsvg", "-o", base+".svg", f.Dot)
		if out, err := cmd.CombinedOutput(); err != nil {
			return Files{}, fmt.Errorf("dot -Tsvg %s: %v: %s", f.Dot, err, out)
		}
		f.SVG = base + ".svg"
	}
	return f, nil
}
