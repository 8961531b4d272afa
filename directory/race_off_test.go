//go:build !race

package directory

// raceBuild: see race_on_test.go.
const raceBuild = false
