// Command lambdabench measures each function's package size and init cost:
// the time from starting the process to its first request for an event
// from the Lambda Runtime API, served here by a minimal stand-in of that
// API on loopback. The functions are built for this machine for the
// measurement (the packages themselves are linux/arm64). `make bench` runs
// it; it fails when a package exceeds 6 MB or a median init exceeds 20 ms.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/tenantforge/tenantforge/internal/lambdabuild"
)

const (
	maxZipBytes = 6 << 20
	maxInit     = 20 * time.Millisecond
)

// env gives each function what it needs to initialise (no network is used
// during init).
var env = map[string][]string{
	"authorizer": {"ISSUER_URL=https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_bench", "CLIENT_IDS=bench", "REGISTRY_TABLE=registry", "DECISION_TTL_SECONDS=60"},
	"products":   {"TABLE_NAME=pooled", "TENANCY=pool", "TENANT_ROLE_ARN=arn:aws:iam::123456789012:role/tenant-access"},
	"orders":     {"TABLE_NAME=pooled", "TENANCY=pool", "TENANT_ROLE_ARN=arn:aws:iam::123456789012:role/tenant-access"},
	"tenants": {"REGISTRY_TABLE=registry", "USER_POOL_ID=eu-west-1_bench", "POOLED_TABLE=pooled", "EVENT_BUS=bus",
		`TIER_DEPLOYMENTS={"basic":"pool","platinum":"silo"}`},
	"users": {"REGISTRY_TABLE=registry", "USER_POOL_ID=eu-west-1_bench"},
	"registration": {"REGISTRY_TABLE=registry", "USER_POOL_ID=eu-west-1_bench", "APP_CLIENT_ID=bench", "EVENT_BUS=bus",
		`TIER_DEPLOYMENTS={"basic":"pool","platinum":"silo"}`, "CONFIG_CACHE_SECONDS=60"},
}

func main() {
	root := flag.String("root", ".", "module root")
	zips := flag.String("zips", "build/lambdas", "the packages `make build` wrote")
	runs := flag.Int("runs", 20, "cold starts per function")
	flag.Parse()
	if err := run(*root, *zips, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "lambdabench:", err)
		os.Exit(1)
	}
}

func run(root, zips string, runs int) error {
	fns, err := lambdabuild.Discover(root)
	if err != nil {
		return err
	}
	// The same build as the packages, for this machine so it can run here.
	bin, err := lambdabuild.Compile(context.Background(), root, fns, runtime.GOOS, runtime.GOARCH)
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	fmt.Printf("%-12s %10s %12s %12s\n", "function", "zip MB", "init p50 ms", "init max ms")
	var failures []string
	for _, f := range fns {
		info, err := os.Stat(filepath.Join(zips, f.Name+".zip"))
		if err != nil {
			return fmt.Errorf("%s: %w (run make build)", f.Name, err)
		}
		samples, err := coldStarts(filepath.Join(bin, filepath.Base(f.Package)), env[f.Name], runs)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		p50 := samples[len(samples)/2]
		fmt.Printf("%-12s %10.2f %12.2f %12.2f\n", f.Name, float64(info.Size())/1e6, ms(p50), ms(samples[len(samples)-1]))
		if info.Size() > maxZipBytes {
			failures = append(failures, fmt.Sprintf("%s package is %.2f MB, over 6 MB", f.Name, float64(info.Size())/1e6))
		}
		if p50 > maxInit {
			failures = append(failures, fmt.Sprintf("%s init p50 %.2f ms, over 20 ms", f.Name, ms(p50)))
		}
	}
	if len(failures) > 0 {
		return fmt.Errorf("targets missed: %v", failures)
	}
	fmt.Println("targets met: every package <= 6 MB, every median init <= 20 ms")
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// coldStarts starts the function runs times and returns the sorted times to
// its first /runtime/invocation/next request.
func coldStarts(exe string, fnEnv []string, runs int) ([]time.Duration, error) {
	var out []time.Duration
	for range runs {
		d, err := coldStart(exe, fnEnv)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.Sort(out)
	return out, nil
}

func coldStart(exe string, fnEnv []string) (time.Duration, error) {
	ready := make(chan time.Time, 1)
	failed := make(chan string, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case ready <- time.Now():
		default:
		}
		<-r.Context().Done() // hold the request: no event comes
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		failed <- "the function reported an init error"
		w.WriteHeader(http.StatusAccepted)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append([]string{
		"AWS_LAMBDA_RUNTIME_API=" + l.Addr().String(),
		"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench",
		"AWS_LAMBDA_FUNCTION_NAME=bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"HOME=" + os.TempDir(), "PATH=" + os.Getenv("PATH"),
	}, fnEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill(); <-exited }()
	select {
	case t := <-ready:
		return t.Sub(start), nil
	case msg := <-failed:
		return 0, fmt.Errorf("%s", msg)
	case err := <-exited:
		exited <- err
		return 0, fmt.Errorf("exited before asking for an event (%v): %s", err, stderr.String())
	case <-ctx.Done():
		return 0, fmt.Errorf("no request for an event within 10 s")
	}
}
