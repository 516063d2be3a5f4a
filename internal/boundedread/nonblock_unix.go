//go:build unix

package boundedread

import "syscall"

// oNonblock opens a FIFO swapped in after the check without waiting for a
// writer.
const oNonblock = syscall.O_NONBLOCK
