//go:build !(linux && (amd64 || arm64 || riscv64 || loong64))

package queue

import (
	"errors"
	"os"
)

func syncfsWorks(*os.File) bool { return false }

func syncfs(*os.File) error { return errors.ErrUnsupported }
