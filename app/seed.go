package app

import (
	"context"
	"errors"
	"flag"
	"io"
)

func seedCommand(ctx context.Context, fs *flag.FlagSet, cfg *Config, args []string, out io.Writer) error {
	return errors.New("seed: not built yet")
}
