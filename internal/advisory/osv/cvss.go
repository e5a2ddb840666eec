package osv

import (
	"math"
	"strings"
)

// BaseScore computes the CVSS base score of a vector. CVSS v3.0/v3.1 use
// the specification's formula; CVSS v4.0 vectors are approximated by
// mapping their base metrics onto the v3.1 formula (AV/AC/PR/UI and the
// vulnerable-system C/I/A, scope changed when a subsequent system is hit),
// which is close enough for a severity band. ok is false when the vector
// cannot be read.
func BaseScore(vector string) (score float64, ok bool) {
	m := map[string]string{}
	parts := strings.Split(vector, "/")
	if len(parts) < 2 {
		return 0, false
	}
	for _, p := range parts[1:] {
		k, v, found := strings.Cut(p, ":")
		if !found {
			return 0, false
		}
		m[k] = v
	}
	switch {
	case strings.HasPrefix(parts[0], "CVSS:3"):
	case strings.HasPrefix(parts[0], "CVSS:4"):
		s := "U"
		if m["SC"] == "H" || m["SI"] == "H" || m["SA"] == "H" {
			s = "C"
		}
		ac := m["AC"]
		if m["AT"] == "P" {
			ac = "H"
		}
		ui := m["UI"]
		if ui == "P" || ui == "A" {
			ui = "R"
		}
		m = map[string]string{"AV": m["AV"], "AC": ac, "PR": m["PR"], "UI": ui, "S": s, "C": m["VC"], "I": m["VI"], "A": m["VA"]}
	default:
		return 0, false
	}
	av := map[string]float64{"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}[m["AV"]]
	ac := map[string]float64{"L": 0.77, "H": 0.44}[m["AC"]]
	ui := map[string]float64{"N": 0.85, "R": 0.62}[m["UI"]]
	changed := m["S"] == "C"
	var pr float64
	switch m["PR"] {
	case "N":
		pr = 0.85
	case "L":
		pr = 0.62
		if changed {
			pr = 0.68
		}
	case "H":
		pr = 0.27
		if changed {
			pr = 0.5
		}
	}
	cia := map[string]float64{"H": 0.56, "L": 0.22, "N": 0}
	c, okc := cia[m["C"]]
	i, oki := cia[m["I"]]
	a, oka := cia[m["A"]]
	if av == 0 || ac == 0 || ui == 0 || pr == 0 || !okc || !oki || !oka || (m["S"] != "U" && m["S"] != "C") {
		return 0, false
	}
	iss := 1 - (1-c)*(1-i)*(1-a)
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	expl := 8.22 * av * ac * pr * ui
	if impact <= 0 {
		return 0, true
	}
	if changed {
		return roundUp(math.Min(1.08*(impact+expl), 10)), true
	}
	return roundUp(math.Min(impact+expl, 10)), true
}

// roundUp is CVSS v3.1's Roundup: the smallest one-decimal number >= x.
func roundUp(x float64) float64 {
	n := int64(math.Round(x * 100000))
	if n%10000 == 0 {
		return float64(n) / 100000
	}
	return float64(n/10000+1) / 10
}

// Band maps a CVSS score to critical|high|medium|low|none.
func Band(score float64) string {
	switch {
	case score >= 9:
		return "critical"
	case score >= 7:
		return "high"
	case score >= 4:
		return "medium"
	case score > 0:
		return "low"
	}
	return "none"
}
