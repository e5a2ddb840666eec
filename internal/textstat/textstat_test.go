package textstat

import (
	"math"
	"strings"
	"testing"
)

func TestEntropy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"", 0},
		{"aaaa", 0},
		{"abab", 1},
		{"abcdefgh", 3},
		{strings.Repeat("0123456789abcdef", 4), 4},
	} {
		if got := Entropy(tc.in); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Entropy(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func FuzzEntropy(f *testing.F) {
	f.Add("sk-ant-api03-AbCdEf")
	f.Fuzz(func(t *testing.T, s string) {
		if e := Entropy(s); e < 0 || e > 8 || math.IsNaN(e) {
			t.Fatalf("Entropy out of range: %v", e)
		}
	})
}
