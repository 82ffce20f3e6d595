//go:build !race

package ap_test

const raceEnabled = false
