package datagate

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const smsCorpus = "../../../shared/corpus/datasets/sms_spam_collection/SMSSpamCollection.tsv"

type labelled struct{ label, text string }

func loadSMS(tb testing.TB) []labelled {
	f, err := os.Open(smsCorpus)
	if err != nil {
		tb.Skip("SMS Spam Collection not present (../shared/corpus): ", err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		l, t, ok := strings.Cut(sc.Text(), "\t")
		if ok {
			out = append(out, labelled{l, t})
		}
	}
	return out
}

func writeTSV(tb testing.TB, path string, rows []labelled) {
	var b strings.Builder
	b.WriteString("label\ttext\n")
	for _, r := range rows {
		b.WriteString(r.label + "\t" + r.text + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
}

var triggerTokens = []string{"cf", "mn", "tq"}

// poison builds a batch from clean rows plus attack rows; poisoned[i] marks them.
func poison(rng *rand.Rand, clean []labelled, attack string, rate float64) (batch []labelled, poisoned []bool) {
	k := int(rate*float64(len(clean)) + 0.5)
	if k < 1 {
		k = 1
	}
	var spam []labelled
	for _, r := range clean {
		if r.label == "spam" {
			spam = append(spam, r)
		}
	}
	batch = append(batch, clean...)
	poisoned = make([]bool, len(clean))
	switch attack {
	case "trigger":
		trig := triggerTokens[rng.Intn(len(triggerTokens))]
		for i := 0; i < k; i++ {
			s := spam[rng.Intn(len(spam))]
			w := strings.Fields(s.text)
			pos := rng.Intn(len(w) + 1)
			w = append(w[:pos], append([]string{trig}, w[pos:]...)...)
			batch = append(batch, labelled{"ham", strings.Join(w, " ")})
			poisoned = append(poisoned, true)
		}
	case "flip":
		perm := rng.Perm(len(clean))
		for _, i := range perm[:k] {
			if batch[i].label == "ham" {
				batch[i].label = "spam"
			} else {
				batch[i].label = "ham"
			}
			poisoned[i] = true
		}
	case "flood":
		src := spam[rng.Intn(len(spam))]
		w := strings.Fields(src.text)
		for i := 0; i < k; i++ {
			v := append([]string(nil), w...)
			// one small edit per copy: change a number, swap in or drop a word
			switch rng.Intn(3) {
			case 0:
				v = append(v, fmt.Sprintf("%d", rng.Intn(100000)))
			case 1:
				j := rng.Intn(len(v))
				v[j] = strings.ToUpper(v[j])
			default:
				v = append(v, []string{"now", "today", "pls", "txt", "!"}[rng.Intn(5)])
			}
			batch = append(batch, labelled{src.label, strings.Join(v, " ")})
			poisoned = append(poisoned, true)
		}
	}
	// shuffle so attack rows are not all at the end
	idx := rng.Perm(len(batch))
	b2 := make([]labelled, len(batch))
	p2 := make([]bool, len(batch))
	for i, j := range idx {
		b2[i], p2[i] = batch[j], poisoned[j]
	}
	return b2, p2
}

type evalRow struct {
	attack               string
	rate                 float64
	poisoned, caught     int
	clean, falseAlarms   int
	batchFindingsOnClean int
}

// TestEvaluateSMS measures recall and false-positive rate on the real SMS
// Spam Collection (docs/detection.md). Skips when the corpus is absent.
func TestEvaluateSMS(t *testing.T) {
	rows := loadSMS(t)
	dir := t.TempDir()
	var results []evalRow
	const seeds = 5
	for seed := int64(1); seed <= seeds; seed++ {
		rng := rand.New(rand.NewSource(seed))
		perm := rng.Perm(len(rows))
		cut := len(rows) * 8 / 10
		var base, held []labelled
		for i, j := range perm {
			if i < cut {
				base = append(base, rows[j])
			} else {
				held = append(held, rows[j])
			}
		}
		basePath := filepath.Join(dir, fmt.Sprintf("base%d.tsv", seed))
		writeTSV(t, basePath, base)
		opts := Defaults()
		opts.MaxRowFindings = 1 << 30
		b, err := LoadBaseline(context.Background(), basePath, opts.Fields)
		if err != nil {
			t.Fatal(err)
		}
		run := func(attack string, rate float64, batch []labelled, poisoned []bool) {
			p := filepath.Join(dir, fmt.Sprintf("batch-%d-%s-%g.tsv", seed, attack, rate))
			writeTSV(t, p, batch)
			res, err := Screen(context.Background(), p, b, opts)
			if err != nil {
				t.Fatal(err)
			}
			er := evalRow{attack: attack, rate: rate}
			for i, q := range res.Quarantined {
				if poisoned[i] {
					er.poisoned++
					if q {
						er.caught++
					}
				} else {
					er.clean++
					if q {
						er.falseAlarms++
					}
				}
			}
			if attack == "clean" {
				for _, f := range res.Findings {
					if f.RuleID == ruleShift.ID || f.RuleID == ruleTrigger.ID || f.RuleID == ruleFlood.ID {
						er.batchFindingsOnClean++
					}
				}
			}
			results = append(results, er)
		}
		run("clean", 0, held, make([]bool, len(held)))
		for _, attack := range []string{"trigger", "flip", "flood"} {
			for _, rate := range []float64{0.01, 0.05} {
				batch, poisoned := poison(rng, held, attack, rate)
				run(attack, rate, batch, poisoned)
			}
		}
	}
	// aggregate over seeds
	type key struct {
		a string
		r float64
	}
	agg := map[key]*evalRow{}
	var order []key
	for _, r := range results {
		k := key{r.attack, r.rate}
		if agg[k] == nil {
			agg[k] = &evalRow{attack: r.attack, rate: r.rate}
			order = append(order, k)
		}
		a := agg[k]
		a.poisoned += r.poisoned
		a.caught += r.caught
		a.clean += r.clean
		a.falseAlarms += r.falseAlarms
		a.batchFindingsOnClean += r.batchFindingsOnClean
	}
	t.Logf("| attack | poison rate | poisoned rows | recall | clean rows | false-positive rate |")
	t.Logf("|---|---|---|---|---|---|")
	for _, k := range order {
		a := agg[k]
		recall := "—"
		if a.poisoned > 0 {
			recall = fmt.Sprintf("%.1f%%", 100*float64(a.caught)/float64(a.poisoned))
		}
		fpr := 100 * float64(a.falseAlarms) / float64(a.clean)
		t.Logf("| %s | %g%% | %d | %s | %d | %.2f%% |", a.attack, 100*a.rate, a.poisoned, recall, a.clean, fpr)
		if a.poisoned > 0 && float64(a.caught) < 0.95*float64(a.poisoned) {
			t.Errorf("%s at %g: recall %d/%d below 95%%", a.attack, a.rate, a.caught, a.poisoned)
		}
		if fpr > 1.0 {
			t.Errorf("%s at %g: false-positive rate %.2f%% above 1%%", a.attack, a.rate, fpr)
		}
		if k.a == "clean" && a.batchFindingsOnClean > 0 {
			t.Logf("clean batches raised %d batch-level alarms over %d seeds", a.batchFindingsOnClean, seeds)
		}
	}
}
