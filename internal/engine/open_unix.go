//go:build unix

package engine

import "syscall"

// openFlags opens without blocking: a FIFO swapped in after the walk must
// not hang the scan (O_NONBLOCK has no effect on regular files).
const openFlags = syscall.O_RDONLY | syscall.O_NONBLOCK
