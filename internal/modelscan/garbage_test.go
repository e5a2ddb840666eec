package modelscan

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A PyTorch archive whose data.pkl is not a pickle at all cannot be
// verified: it must be reported as an error naming the member, not pass
// silently (QA B3). Its benign twin is a valid data.pkl: no error.
func TestGarbagePickleMemberIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name, pkl string
		wantErr   bool
	}{
		{"garbage", "\x00\x00hello", true},
		{"valid", "\x80\x02}q\x00.", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			f, err := os.Create(filepath.Join(dir, "m.pt"))
			if err != nil {
				t.Fatal(err)
			}
			zw := zip.NewWriter(f)
			w, _ := zw.Create("archive/data.pkl")
			w.Write([]byte(tc.pkl))
			w, _ = zw.Create("archive/version")
			w.Write([]byte("3\n"))
			zw.Close()
			f.Close()
			res := scanFileOnce(t, New(Options{}), dir, "m.pt")
			got := false
			for _, e := range res.Errors {
				if e.Member == "archive/data.pkl" && strings.Contains(e.Reason, "not a valid pickle") {
					got = true
				}
			}
			if got != tc.wantErr {
				t.Errorf("error reported = %v, want %v (errors %+v)", got, tc.wantErr, res.Errors)
			}
		})
	}
}
