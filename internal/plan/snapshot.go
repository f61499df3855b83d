package plan

import (
	"encoding/json"
	"path/filepath"
	"strings"
)

// Snapshot is the plan as the golden files keep it: the JSON document with
// the paths of archives (Lambda packages) and of build output assets (the
// web app's files: under build/ or outside the project) reduced to
// "<artifacts>/<file>", and other asset paths made relative to the project
// directory, so the snapshot
// is the same on every machine, from every working directory and whichever
// directory the packages were built into. Inputs that are JSON documents
// in a string (IAM policies, API definitions) are unfolded into
// {"<json>": document}, so a change to one statement or route shows as a
// few lines of diff instead of one changed line.
func Snapshot(d *Document, projectDir string) ([]byte, error) {
	root, err := filepath.Abs(projectDir)
	if err != nil {
		return nil, err
	}
	copyDoc := *d
	copyDoc.Resources = make([]Resource, len(d.Resources))
	for i, r := range d.Resources {
		r.Inputs = relativePaths(r.Inputs, root).(map[string]any)
		copyDoc.Resources[i] = r
	}
	return copyDoc.JSON()
}

// relativePaths returns a copy of v with archive and asset paths normalised.
func relativePaths(v any, root string) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if s, ok := e.(string); ok && len(t) == 1 && s != "" {
				switch k {
				case "archive":
					out[k] = "<artifacts>/" + filepath.Base(s)
					continue
				case "asset":
					rel := relativeTo(root, s)
					if strings.HasPrefix(rel, "../") || strings.HasPrefix(rel, "build/") || filepath.IsAbs(rel) {
						rel = "<artifacts>/" + filepath.Base(s)
					}
					out[k] = rel
					continue
				}
			}
			out[k] = relativePaths(e, root)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = relativePaths(e, root)
		}
		return out
	case string:
		if len(t) > 1 && (t[0] == '{' || t[0] == '[') {
			var doc any
			if json.Unmarshal([]byte(t), &doc) == nil {
				return map[string]any{"<json>": doc}
			}
		}
	}
	return v
}

func relativeTo(root, path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return path
	}
	return filepath.ToSlash(rel)
}
