//go:build !unix

package engine

import "os"

const openFlags = os.O_RDONLY
