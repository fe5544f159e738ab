//go:build !amd64

package queue

const isAMD64 = false
