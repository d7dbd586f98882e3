//go:build tools

// Package tools only records, for `go mod tidy`, the prometheus-adapter command that
// ../build.sh builds from this module. It is never compiled.
package tools

import _ "sigs.k8s.io/prometheus-adapter/cmd/adapter"
