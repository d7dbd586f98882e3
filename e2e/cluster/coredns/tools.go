//go:build tools

// Package tools only records, for `go mod tidy`, the CoreDNS command that
// ../build.sh builds from this module. It is never compiled.
package tools

import _ "github.com/coredns/coredns"
