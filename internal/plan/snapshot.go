package plan

import (
	"bytes"
	"path/filepath"
)

// Snapshot is the plan as the golden files keep it: the JSON document with
// machine-specific paths (the project directory, the artifacts directory)
// replaced by placeholders, so the snapshot is the same on every machine.
func Snapshot(d *Document, projectDir, artifactsDir string) ([]byte, error) {
	js, err := d.JSON()
	if err != nil {
		return nil, err
	}
	for placeholder, dir := range map[string]string{"<artifacts>": artifactsDir, "<project>": projectDir} {
		if dir == "" || dir == "." {
			continue
		}
		if abs, err := filepath.Abs(dir); err == nil {
			js = bytes.ReplaceAll(js, []byte(abs), []byte(placeholder))
		}
		js = bytes.ReplaceAll(js, []byte(dir), []byte(placeholder))
	}
	return js, nil
}
