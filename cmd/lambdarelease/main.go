// Command lambdarelease prepares the CodeDeploy deployments that release
// new Lambda versions behind their live alias, from a stack's outputs:
//
//	lambdarelease list -outputs stack.json
//	    one line per function: service, function name, alias, target version (tab-separated)
//	lambdarelease deployment -outputs stack.json -service products -current 3
//	    the `aws deploy create-deployment --cli-input-json` request, or nothing
//	    (and exit 0) when the alias already serves the target version
//
// .ci/release-lambdas runs it between `pulumi stack output --json` and the
// AWS CLI.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tenantforge/tenantforge/internal/release"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "lambdarelease:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: lambdarelease list|deployment -outputs FILE [-service NAME -current VERSION]")
	}
	fs := flag.NewFlagSet("lambdarelease "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	outputs := fs.String("outputs", "", "file with `pulumi stack output --json` of the stack")
	service := fs.String("service", "", "the function's service name (deployment)")
	current := fs.String("current", "", "the version the alias serves now (deployment)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *outputs == "" {
		return errors.New("-outputs is required: the file `pulumi stack output --json` wrote")
	}
	f, err := os.Open(*outputs)
	if err != nil {
		return err
	}
	defer f.Close()
	releases, err := release.Parse(f)
	if err != nil {
		return err
	}
	switch args[0] {
	case "list":
		for _, r := range releases {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", r.Service, r.FunctionName, r.Alias, r.Version)
		}
		return nil
	case "deployment":
		if *service == "" || *current == "" {
			return errors.New("deployment needs -service and -current")
		}
		for _, r := range releases {
			if r.Service != *service {
				continue
			}
			in, err := r.Deployment(*current)
			if errors.Is(err, release.ErrUpToDate) {
				fmt.Fprintf(stderr, "%s:%s already serves version %s\n", r.FunctionName, r.Alias, r.Version)
				return nil
			}
			if err != nil {
				return err
			}
			enc := json.NewEncoder(stdout)
			return enc.Encode(in)
		}
		return fmt.Errorf("the stack has no release of service %q", *service)
	default:
		return fmt.Errorf("unknown subcommand %q; use list or deployment", args[0])
	}
}
