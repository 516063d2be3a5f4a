//go:build unix

package refserver

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on f without waiting; the lock goes
// with the file's closing, or the process's end.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// oNoFollow makes an open refuse a symbolic link.
const oNoFollow = syscall.O_NOFOLLOW
