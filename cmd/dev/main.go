// Command dev runs the whole SaaS on this machine (`make dev`): local
// Cognito and DynamoDB on loopback, the web app and the API on one port,
// the real authorizer and handlers behind a local API Gateway
// (internal/devstack). Ctrl-C stops everything; data stays in build/dev
// until `make dev-reset`.
//
// Environment: TENANTFORGE_DEV_PORT (8080), TENANTFORGE_ADMIN_EMAIL (the
// stack's adminEmail), TENANTFORGE_ADMIN_PASSWORD.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/tenantforge/tenantforge/internal/devstack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "make dev:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", ".", "repository root")
	stack := flag.String("stack", "dev", "the platform stack whose configuration the local SaaS runs")
	data := flag.String("data", "build/dev", "where local data persists (make dev-reset clears it)")
	flag.Parse()

	port := devstack.DefaultPort
	if raw := os.Getenv("TENANTFORGE_DEV_PORT"); raw != "" {
		p, err := strconv.Atoi(raw)
		if err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("TENANTFORGE_DEV_PORT=%q must be a port number from 1 to 65535", raw)
		}
		port = p
	}
	dataDir, err := filepath.Abs(*data)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	pids := devstack.PIDFile(filepath.Join(dataDir, "dev.pid"))
	if err := pids.Claim(); err != nil {
		return err
	}
	defer pids.Release()

	logFile, err := os.OpenFile(filepath.Join(dataDir, "functions.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	started := time.Now()
	fmt.Println("starting the local SaaS (local Cognito, local DynamoDB, local API Gateway)...")
	s, err := devstack.Start(ctx, devstack.Options{
		Dir: *dir, Stack: *stack, DataDir: dataDir, Port: port,
		AdminEmail: os.Getenv("TENANTFORGE_ADMIN_EMAIL"), AdminPassword: os.Getenv("TENANTFORGE_ADMIN_PASSWORD"),
		Logger: slog.New(slog.NewJSONHandler(logFile, nil)), AccessLog: os.Stdout,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := pids.Child(s.CognitoPID()); err != nil {
		return err
	}
	passwordNote := "(set TENANTFORGE_ADMIN_PASSWORD to choose another)"
	if os.Getenv("TENANTFORGE_ADMIN_PASSWORD") != "" {
		passwordNote = "(from TENANTFORGE_ADMIN_PASSWORD)"
	}
	fmt.Printf(`
tenantforge is running locally (stack %s, ready in %s)

  web app      %s/
  API          %s/          e.g. POST %s/registrations
  config       %s/config.json
  Cognito      %s  (user pool %s, app client %s)
  SystemAdmin  %s
  password     %s  %s

  data         %s  (kept across restarts; make dev-reset clears it)
  function log %s

Ctrl-C stops everything.
`, *stack, time.Since(started).Round(time.Millisecond), s.URL, s.APIURL, s.APIURL, s.URL, s.CognitoURL, s.UserPoolID, s.ClientID,
		s.AdminEmail, s.AdminPassword, passwordNote, dataDir, logFile.Name())
	<-ctx.Done()
	fmt.Println("\nstopping: saving the tables, stopping local Cognito...")
	return nil
}
