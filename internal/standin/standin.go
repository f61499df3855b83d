// Package standin starts the local stand-ins of AWS services that tests and
// `make dev` run against: cognito-local (npm, pinned in package-lock.json)
// for Cognito. Each runs on a free loopback port, in a data directory of the
// caller's, and stops with its whole process group.
package standin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Process is a running stand-in.
type Process struct {
	// URL is where it listens, e.g. http://127.0.0.1:40123.
	URL  string
	Port int
	cmd  *exec.Cmd
	done chan error
	log  *os.File
}

// FreePort asks the kernel for a free loopback port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartCognitoLocal runs cognito-local from repoRoot/node_modules with its
// state in dataDir (dataDir/.cognito). Its tokens' issuer is
// http://127.0.0.1:<port>/<userPoolId>.
func StartCognitoLocal(ctx context.Context, repoRoot, dataDir string, port int) (*Process, error) {
	bin, err := filepath.Abs(filepath.Join(repoRoot, "node_modules", ".bin", "cognito-local"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("cognito-local is not installed: run `npm ci` in %s (make test and make dev do)", repoRoot)
	}
	if port == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		port = p
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dataDir, "cognito-local.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Dir = dataDir
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "HOST=127.0.0.1", "DEBUG=0")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, so Stop ends everything it started; and the
	// kernel ends it if this process dies without calling Stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting cognito-local: %w", err)
	}
	p := &Process{URL: "http://127.0.0.1:" + strconv.Itoa(port), Port: port, cmd: cmd, done: make(chan error, 1), log: logFile}
	go func() { p.done <- cmd.Wait() }()
	if err := p.waitReady(ctx, 20*time.Second); err != nil {
		p.Stop()
		log, _ := os.ReadFile(logFile.Name())
		return nil, fmt.Errorf("cognito-local did not start: %w\n%s", err, log)
	}
	return p, nil
}

func (p *Process) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err
			return fmt.Errorf("exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p.Port), 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("timed out waiting for its port")
}

// PID is the stand-in's process id (and its process group's).
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Stop ends the stand-in and everything it started.
func (p *Process) Stop() {
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
	p.log.Close()
}
