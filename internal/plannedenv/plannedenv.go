// Package plannedenv gives a Lambda main's tests the environment the
// infrastructure sets on that function, taken from the golden plans of the
// repo's stacks (tests/golden/<stack>.json, which tests/golden_test.go keeps
// equal to `make plan`). A main that starts with exactly that environment
// starts on AWS; a variable the plan sets and no code reads is a misnamed
// or stale one.
package plannedenv

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Function is one planned Lambda function running a main under lambdas/.
type Function struct {
	Stack string // the stack file's name (dev, dev-tenant-example)
	Name  string // the function's physical name
	// Layered says whether the function runs with the shared layer, whose
	// extension reads the function's environment too.
	Layered bool
	Env     map[string]string
}

// Load returns every planned function whose package is lambdas/<lambda>,
// in every golden plan under repoRoot.
func Load(repoRoot, lambda string) ([]Function, error) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "tests", "golden", "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no golden plans under %s/tests/golden: run `make plan-update`", repoRoot)
	}
	var out []Function
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var p struct {
			Stack     string `json:"stack"`
			Resources []struct {
				Type   string          `json:"type"`
				Inputs json.RawMessage `json:"inputs"`
			} `json:"resources"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, res := range p.Resources {
			if res.Type != "aws:lambda/function:Function" {
				continue
			}
			var r struct {
				Inputs struct {
					Name string `json:"name"`
					Code struct {
						Archive string `json:"archive"`
					} `json:"code"`
					Layers      []string `json:"layers"`
					Environment struct {
						Variables map[string]any `json:"variables"`
					} `json:"environment"`
				}
			}
			if err := json.Unmarshal(res.Inputs, &r.Inputs); err != nil {
				return nil, fmt.Errorf("%s: a function's inputs: %w", f, err)
			}
			if filepath.Base(r.Inputs.Code.Archive) != lambda+".zip" {
				continue
			}
			env := map[string]string{}
			for k, v := range r.Inputs.Environment.Variables {
				s, err := plain(v)
				if err != nil {
					return nil, fmt.Errorf("%s: %s's %s: %w", f, r.Inputs.Name, k, err)
				}
				env[k] = s
			}
			out = append(out, Function{Stack: p.Stack, Name: r.Inputs.Name, Layered: len(r.Inputs.Layers) > 0, Env: env})
		}
	}
	return out, nil
}

// plain turns a snapshot value back into the string Lambda gets: a JSON
// document the snapshot shows as {"<json>": doc} is encoded again.
func plain(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case map[string]any:
		if doc, ok := t["<json>"]; ok && len(t) == 1 {
			b, err := json.Marshal(doc)
			return string(b), err
		}
	}
	return "", fmt.Errorf("%v is not a string", v)
}

// runtimeEnv is what Lambda itself sets on every function (region and the
// execution role's credentials).
var runtimeEnv = map[string]string{
	"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1",
	"AWS_ACCESS_KEY_ID": "AKIAPLANNEDENV", "AWS_SECRET_ACCESS_KEY": "planned", "AWS_SESSION_TOKEN": "planned",
	"AWS_LAMBDA_FUNCTION_NAME": "planned", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
}

// Apply replaces the test process's environment with exactly env plus what
// Lambda sets, until the test ends.
func Apply(t testing.TB, env map[string]string) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "" {
			continue
		}
		t.Setenv(k, "") // restored when the test ends
		os.Unsetenv(k)
	}
	for k, v := range runtimeEnv {
		t.Setenv(k, v)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// Unread returns the variables of env whose name appears as a string
// literal in no non-test Go file of the module's packages that the given
// packages (import paths or ./relative patterns, resolved in repoRoot)
// build from: variables nothing reads.
func Unread(repoRoot string, env map[string]string, pkgs ...string) ([]string, error) {
	args := append([]string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \",\"}}{{end}}"}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %v: %w", pkgs, err)
	}
	module := "github.com/tenantforge/tenantforge/"
	var sources strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(line, "\t")
		if len(parts) != 3 || !strings.HasPrefix(parts[0], module) {
			continue
		}
		for _, f := range strings.Split(parts[2], ",") {
			b, err := os.ReadFile(filepath.Join(parts[1], f))
			if err != nil {
				return nil, err
			}
			sources.Write(b)
		}
	}
	var unread []string
	for k := range env {
		if !regexp.MustCompile(`"` + regexp.QuoteMeta(k) + `"`).MatchString(sources.String()) {
			unread = append(unread, k)
		}
	}
	slices.Sort(unread)
	return unread, nil
}

// Check runs a main's setup, for every planned function of lambdas/<lambda>,
// with exactly the planned environment, and fails the test if setup fails
// or the plan sets a variable that neither the main (with its packages) nor,
// for a function with the shared layer, the layer's extension reads.
func Check(t *testing.T, repoRoot, lambda string, setup func() error) {
	t.Helper()
	fns, err := Load(repoRoot, lambda)
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) == 0 {
		t.Fatalf("no stack plans a function of lambdas/%s: the test would prove nothing", lambda)
	}
	for _, f := range fns {
		t.Run(f.Stack, func(t *testing.T) {
			pkgs := []string{"./lambdas/" + lambda}
			if f.Layered {
				pkgs = append(pkgs, "./extensions/usage")
			}
			unread, err := Unread(repoRoot, f.Env, pkgs...)
			if err != nil {
				t.Fatal(err)
			}
			if len(unread) > 0 {
				t.Errorf("%s on %s is given %v, which no code of %v reads: a misnamed or stale variable", f.Name, f.Stack, unread, pkgs)
			}
			Apply(t, f.Env)
			if err := setup(); err != nil {
				t.Errorf("%s would not start on %s with the environment the stack gives it: %v", f.Name, f.Stack, err)
			}
		})
	}
}
