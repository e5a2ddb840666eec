package aiassets

import (
	"encoding/json"
	"os"
	"testing"
)

func TestDebugRag(t *testing.T) {
	dir := os.Getenv("AIDEBUG")
	if dir == "" {
		t.Skip()
	}
	rep := scanTree(t, dir)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	for _, c := range rep.Components {
		b, _ := json.Marshal(c)
		t.Log(string(b))
	}
	for _, f := range rep.Findings {
		t.Logf("%s %s %s %s | %s", f.RuleID, f.Severity, f.Location, f.Message, f.Evidence)
	}
	for _, e := range rep.Errors {
		t.Logf("ERR %+v", e)
	}
}
