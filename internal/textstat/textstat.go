// Package textstat holds small statistics over untrusted text that several
// detectors share (secret literals, obfuscated blobs).
package textstat

import "math"

// Entropy is the Shannon entropy of s in bits per byte (0 for "").
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h := 0.0
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
