//go:build linux && (arm64 || riscv64 || loong64)

package queue

// sysSyncfs is the number of syncfs(2) in the generic system call table.
const sysSyncfs = 267
