package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// jsonFile is one JSON document of the data dir, shared by every process that
// opens the same dir: the plugin process and the host's `k1s cloud vm` commands.
//
// Writers take an exclusive flock on a sibling "<name>.lock" file for the whole
// read-modify-write, so two processes never lose each other's updates. The
// lock lives on its own file because the document itself is replaced by
// rename on every write, and a lock held on the replaced inode would protect
// nothing. flock locks belong to the open file description, so two goroutines
// of one process that each open the lock file exclude each other too.
//
// Readers take no lock: every write goes to a temporary file that is renamed
// over the document, so a reader sees the old or the new document, never a
// partly written one.
type jsonFile struct {
	path string
}

// read decodes the document into v; a missing document leaves v untouched.
func (f jsonFile) read(v any) error {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", f.path, err)
	}
	if len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decoding %s: %w", f.path, err)
	}
	return nil
}

// update runs a locked read-modify-write: it decodes the document into v
// (which must point at a zero value), calls mutate, and writes v back
// atomically if mutate returned nil. On any error the document is unchanged.
func (f jsonFile) update(v any, mutate func() error) error {
	unlock, err := f.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := f.read(v); err != nil {
		return err
	}
	if err := mutate(); err != nil {
		return err
	}
	return f.write(v)
}

// lock takes the exclusive advisory lock of the document.
func (f jsonFile) lock() (func(), error) {
	lf, err := os.OpenFile(f.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock file of %s: %w", f.path, err)
	}
	for {
		err = syscall.Flock(int(lf.Fd()), syscall.LOCK_EX)
		// A signal may interrupt the wait; it is not a reason to give up.
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		lf.Close()
		return nil, fmt.Errorf("locking %s: %w", f.path, err)
	}
	// Closing the descriptor releases the lock.
	return func() { lf.Close() }, nil
}

// write replaces the document atomically: temp file in the same directory
// (rename is only atomic within a file system), fsync, rename. The fsync comes
// before the rename so a crash can never leave a renamed but empty document.
// The directory is not synced: after a crash the rename may be lost, which
// leaves the previous, consistent document, and skipping it halves the cost
// of each write when a cluster creates thousands of VMs.
func (f jsonFile) write(v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", f.path, err)
	}
	data = append(data, '\n')
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", f.path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("replacing %s: %w", f.path, err)
	}
	committed = true
	return nil
}
