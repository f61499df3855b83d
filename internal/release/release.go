// Package release turns a stack's "releases" output into CodeDeploy
// deployments of Lambda versions: the AppSpec that shifts a function's
// alias from its current version to the version the last `pulumi up`
// published, and the create-deployment request that carries it inline.
// It is pure; the AWS calls are the caller's (.ci/release-lambdas).
package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
)

// OutputKey is the stack output that lists the releases (infra.OutReleases).
const OutputKey = "releases"

// ErrUpToDate means the alias already serves the target version: there is
// nothing to deploy.
var ErrUpToDate = errors.New("release: the alias already serves the target version")

// Release is one function's entry in the stack output.
type Release struct {
	Service         string `json:"-"`
	FunctionName    string `json:"functionName"`
	Alias           string `json:"alias"`
	Version         string `json:"version"`
	Application     string `json:"application"`
	DeploymentGroup string `json:"deploymentGroup"`
}

var versionPattern = regexp.MustCompile(`^[1-9][0-9]*$`)

// Parse reads `pulumi stack output --json` and returns its releases in
// service order. A stack without the output has none.
func Parse(r io.Reader) ([]Release, error) {
	var outputs map[string]json.RawMessage
	if err := json.NewDecoder(r).Decode(&outputs); err != nil {
		return nil, fmt.Errorf("release: stack outputs are not a JSON object (pass `pulumi stack output --json`): %w", err)
	}
	raw, ok := outputs[OutputKey]
	if !ok {
		return nil, nil
	}
	var byService map[string]Release
	if err := json.Unmarshal(raw, &byService); err != nil {
		return nil, fmt.Errorf("release: output %q is not a map of service to release: %w", OutputKey, err)
	}
	out := make([]Release, 0, len(byService))
	for _, svc := range slices.Sorted(maps.Keys(byService)) {
		rel := byService[svc]
		rel.Service = svc
		if err := rel.validate(); err != nil {
			return nil, err
		}
		out = append(out, rel)
	}
	return out, nil
}

func (r Release) validate() error {
	switch {
	case r.FunctionName == "" || r.Alias == "" || r.Application == "" || r.DeploymentGroup == "":
		return fmt.Errorf("release %s: functionName, alias, application and deploymentGroup are all required; run `pulumi up` of the stack first", r.Service)
	case !versionPattern.MatchString(r.Version):
		return fmt.Errorf("release %s: version %q is not a published version; the function must be published (FunctionArgs.Alias)", r.Service, r.Version)
	}
	return nil
}

// AppSpec is CodeDeploy's application specification for a Lambda alias.
type AppSpec struct {
	Version   float64                   `json:"version"`
	Resources []map[string]AppSpecEntry `json:"Resources"`
}

// AppSpecEntry is one function of an AppSpec.
type AppSpecEntry struct {
	Type       string            `json:"Type"`
	Properties AppSpecProperties `json:"Properties"`
}

// AppSpecProperties name the alias and the versions to shift between.
type AppSpecProperties struct {
	Name           string `json:"Name"`
	Alias          string `json:"Alias"`
	CurrentVersion string `json:"CurrentVersion"`
	TargetVersion  string `json:"TargetVersion"`
}

// AppSpecFor returns the AppSpec that moves the release's alias from
// current to the release's version, or ErrUpToDate.
func (r Release) AppSpecFor(current string) (AppSpec, error) {
	if err := r.validate(); err != nil {
		return AppSpec{}, err
	}
	if !versionPattern.MatchString(current) {
		return AppSpec{}, fmt.Errorf("release %s: current version %q of alias %s is not a published version", r.Service, current, r.Alias)
	}
	if current == r.Version {
		return AppSpec{}, ErrUpToDate
	}
	return AppSpec{
		Version: 0.0,
		Resources: []map[string]AppSpecEntry{{
			r.Service: {Type: "AWS::Lambda::Function", Properties: AppSpecProperties{
				Name: r.FunctionName, Alias: r.Alias, CurrentVersion: current, TargetVersion: r.Version,
			}},
		}},
	}, nil
}

// DeploymentInput is the request of `aws deploy create-deployment
// --cli-input-json`, with the AppSpec inline.
type DeploymentInput struct {
	ApplicationName     string   `json:"applicationName"`
	DeploymentGroupName string   `json:"deploymentGroupName"`
	Description         string   `json:"description"`
	Revision            Revision `json:"revision"`
}

// Revision carries the AppSpec content.
type Revision struct {
	RevisionType   string         `json:"revisionType"`
	AppSpecContent AppSpecContent `json:"appSpecContent"`
}

// AppSpecContent is the AppSpec as a string.
type AppSpecContent struct {
	Content string `json:"content"`
}

// Deployment returns the create-deployment request that shifts the alias
// from current to the release's version, or ErrUpToDate.
func (r Release) Deployment(current string) (DeploymentInput, error) {
	spec, err := r.AppSpecFor(current)
	if err != nil {
		return DeploymentInput{}, err
	}
	content, err := json.Marshal(spec)
	if err != nil {
		return DeploymentInput{}, err
	}
	return DeploymentInput{
		ApplicationName:     r.Application,
		DeploymentGroupName: r.DeploymentGroup,
		Description:         fmt.Sprintf("%s:%s from version %s to %s", r.FunctionName, r.Alias, current, r.Version),
		Revision:            Revision{RevisionType: "AppSpecContent", AppSpecContent: AppSpecContent{Content: string(content)}},
	}, nil
}
