package devstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// PIDFile records the running `make dev` and its child processes, so a
// second run can tell a live instance (refuse, with what to do) from one
// that crashed (end its orphaned children, take over).
type PIDFile string

type pidRecord struct {
	PID      int   `json:"pid"`
	Children []int `json:"children"`
}

// Claim takes the file for this process. A live owner is an error; a dead
// owner's children still running (cognito-local) are stopped first.
func (f PIDFile) Claim() error {
	if rec, err := f.read(); err == nil {
		if rec.PID != os.Getpid() && alive(rec.PID) && strings.Contains(cmdline(rec.PID), "dev") {
			return fmt.Errorf("make dev is already running (pid %d); stop it with Ctrl-C in its terminal or `kill %d`", rec.PID, rec.PID)
		}
		for _, child := range rec.Children {
			if alive(child) && strings.Contains(cmdline(child), "cognito-local") {
				_ = syscall.Kill(-child, syscall.SIGTERM)
				for i := 0; i < 50 && alive(child); i++ {
					time.Sleep(100 * time.Millisecond)
				}
				if alive(child) {
					_ = syscall.Kill(-child, syscall.SIGKILL)
				}
			}
		}
	}
	return f.write(pidRecord{PID: os.Getpid()})
}

// Child records a child process (group) of this run.
func (f PIDFile) Child(pid int) error {
	rec, err := f.read()
	if err != nil {
		return err
	}
	rec.Children = append(rec.Children, pid)
	return f.write(rec)
}

// Release removes the file if this process owns it.
func (f PIDFile) Release() {
	if rec, err := f.read(); err == nil && rec.PID == os.Getpid() {
		_ = os.Remove(string(f))
	}
}

func (f PIDFile) read() (pidRecord, error) {
	var rec pidRecord
	b, err := os.ReadFile(string(f))
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, errors.New("unreadable pid file")
	}
	return rec, nil
}

func (f PIDFile) write(rec pidRecord) error {
	b, _ := json.Marshal(rec)
	tmp := string(f) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, string(f))
}

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.ReplaceAll(string(b), "\x00", " ")
}
