// Command assay is a zero-trust guard for the AI software supply chain.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/assay-dev/assay/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
