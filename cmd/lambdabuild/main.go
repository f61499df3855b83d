// Command lambdabuild builds every function under lambdas/ into
// build/lambdas/<name>.zip (see internal/lambdabuild). `make build` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tenantforge/tenantforge/internal/lambdabuild"
)

func main() {
	root := flag.String("root", ".", "module root")
	out := flag.String("out", "build/lambdas", "output directory for the zips")
	layer := flag.String("layer", "build/layers/shared.zip", "the shared layer's zip (the extensions under extensions/)")
	flag.Parse()
	start := time.Now()
	fns, err := lambdabuild.Discover(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdabuild:", err)
		os.Exit(1)
	}
	if len(fns) == 0 {
		fmt.Println("lambdabuild: no functions under lambdas/ yet")
		return
	}
	results, err := lambdabuild.Build(context.Background(), *root, *out, fns)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdabuild:", err)
		os.Exit(1)
	}
	exts, err := lambdabuild.DiscoverExtensions(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdabuild:", err)
		os.Exit(1)
	}
	if len(exts) > 0 {
		l, err := lambdabuild.BuildLayer(context.Background(), *root, *layer, exts)
		if err != nil {
			fmt.Fprintln(os.Stderr, "lambdabuild:", err)
			os.Exit(1)
		}
		results = append(results, l)
	}
	for _, r := range results {
		fmt.Printf("%-16s %8.2f MB  %s\n", r.Name, float64(r.Size)/1e6, r.Zip)
	}
	fmt.Printf("built %d packages in %s\n", len(results), time.Since(start).Round(time.Millisecond))
}
