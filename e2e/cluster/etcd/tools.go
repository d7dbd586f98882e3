//go:build tools

// Package tools only records, for `go mod tidy`, the etcd command that
// ../build.sh builds from this module. It is never compiled.
package tools

import _ "go.etcd.io/etcd/server/v3"
