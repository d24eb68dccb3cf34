// Package charttest tests the Helm chart charts/partsync with Helm's own Go
// SDK: lint, render, and Argo's validator on every rendered Argo document.
// It is a module of its own so that Helm's dependencies stay out of
// partsync's go.mod; partsync itself comes from the work tree (replace).
package charttest
