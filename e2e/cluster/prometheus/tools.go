//go:build tools

// Package tools pins Prometheus for e2e/cluster/build-prometheus.sh: the upstream build with
// Kubernetes service discovery (Debian's package is built without it), and no other discovery.
package tools

import _ "github.com/prometheus/prometheus/cmd/prometheus"
