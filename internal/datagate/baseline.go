package datagate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// MaxLabels bounds the label set of a baseline (classification data).
const MaxLabels = 256

// Baseline is what screening learns from the trusted dataset.
type Baseline struct {
	Rows        int
	Labels      []string       // in first-seen order
	LabelIx     map[string]int // label -> index
	LabelCounts []int
	// token statistics: a vocabulary of interned tokens, their document
	// frequency, and per-label counts for naive Bayes (counts[label][id]).
	vocab       map[string]int32
	df          []int32
	counts      [][]int32
	labelTokens []int64
	logPrior    []float64 // log P(label), set after loading
	logDen      []float64 // log(tokens in label + |V|+1), set after loading
	// exact copies: normalised text hash -> per-label row counts.
	exact map[uint64][]int32
	// LSH over baseline rows: sorted (band key, row) pairs + row labels/signatures.
	bands  []bandEntry
	rowLab []uint16
	sigs   []Signature
	// content profile
	lenP99       int
	urlRows      int
	codeRows     int
	injectRows   int
	hosts        map[string]int
	skippedRows  int // malformed baseline rows (not learned from)
	skippedLines []int
	// sample is a reservoir of baseline rows used to calibrate the model
	// threshold per label by leave-one-out; Thresholds holds the result.
	sample     []sampleRow
	Thresholds []float64
}

type sampleRow struct {
	toks  []string
	label int
}

// calibration: reservoir size, target false-alarm rate per label, bounds.
const (
	calibSample   = 20000
	calibBudget   = 0.012
	calibFloor    = 2.0
	calibMinCount = 50
)

type bandEntry struct {
	key uint64
	row int32
}

// rowFeatures is the per-row work done in parallel.
type rowFeatures struct {
	row    Row
	toks   []string
	nb     []string
	sig    Signature
	hasSig bool
	exact  uint64
	url    bool
	code   bool
	inject bool
	hosts  []string
	// set by a screening enricher, in the parallel phase
	post       []float64 // naive Bayes log-posteriors per baseline label
	neighbours []int32   // near-identical baseline rows (when no exact copy)
}

func computeFeatures(r Row) rowFeatures {
	f := rowFeatures{row: r}
	if r.Problem != "" {
		return f
	}
	f.toks = tokenize(r.Text, nil)
	f.nb = nbFeatures(r.Text, f.toks, nil)
	f.sig, f.hasSig = minhash(f.toks)
	f.exact = exactKey(f.toks)
	// Regexes run only when a cheap substring pre-filter on the lower-cased
	// text says they could match.
	lower := strings.ToLower(r.Text)
	if strings.Contains(lower, "http") || strings.Contains(lower, "www.") {
		if m := urlRe.FindAllString(r.Text, 8); len(m) > 0 {
			f.url = true
			for _, u := range m {
				f.hosts = append(f.hosts, urlHost(u))
			}
		}
	}
	if containsAny(lower, codeAnchors) {
		f.code = codeRe.MatchString(r.Text)
	}
	if containsAny(lower, injectionAnchors) {
		f.inject = injectionRe.MatchString(r.Text)
	}
	return f
}

// featureStream reads rows from rd and computes their features on all
// cores, delivering them in input order to fn.
func featureStream(ctx context.Context, rd rowSource, enrich func(*rowFeatures), fn func(rowFeatures) error) error {
	workers := runtime.GOMAXPROCS(0)
	const batch = 256
	type chunk struct {
		rows  []Row
		feats []rowFeatures
		done  chan struct{}
	}
	in := make(chan *chunk, workers*2)
	ordered := make(chan *chunk, workers*2)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range in {
				c.feats = make([]rowFeatures, len(c.rows))
				for i, r := range c.rows {
					rd.parse(&r)
					c.feats[i] = computeFeatures(r)
					if enrich != nil {
						enrich(&c.feats[i])
					}
				}
				close(c.done)
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(in)
		defer close(ordered)
		for {
			c := &chunk{done: make(chan struct{})}
			var err error
			for len(c.rows) < batch {
				var r Row
				r, err = rd.nextRaw()
				if err != nil {
					break
				}
				c.rows = append(c.rows, r)
			}
			if len(c.rows) > 0 {
				select {
				case in <- c:
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
				ordered <- c
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					readErr <- nil
				} else {
					readErr <- err
				}
				return
			}
		}
	}()
	var fnErr error
	for c := range ordered {
		<-c.done
		if fnErr != nil {
			continue
		}
		for _, f := range c.feats {
			if err := fn(f); err != nil {
				fnErr = err
				break
			}
		}
	}
	wg.Wait()
	if err := <-readErr; err != nil {
		return err
	}
	return fnErr
}

// LoadBaseline reads and learns from the trusted dataset at path.
func LoadBaseline(ctx context.Context, path string, fields Fields) (*Baseline, error) {
	rd, closeRows, err := openRows(path, fields)
	if err != nil {
		return nil, err
	}
	defer closeRows()
	b := &Baseline{
		LabelIx: map[string]int{},
		vocab:   map[string]int32{},
		exact:   map[uint64][]int32{},
		hosts:   map[string]int{},
	}
	var lengths []int32
	rng := uint64(0x2545f4914f6cdd1d)
	err = featureStream(ctx, rd, nil, func(rf rowFeatures) error {
		r := rf.row
		if r.Problem != "" || !r.HasText || !r.HasLabel || r.Label == "" {
			b.skippedRows++
			if len(b.skippedLines) < 20 {
				b.skippedLines = append(b.skippedLines, r.Line)
			}
			return nil
		}
		li, ok := b.LabelIx[r.Label]
		if !ok {
			if len(b.Labels) >= MaxLabels {
				return fmt.Errorf("%s: line %d: more than %d distinct labels; is --label-field right?", path, r.Line, MaxLabels)
			}
			li = len(b.Labels)
			b.LabelIx[r.Label] = li
			b.Labels = append(b.Labels, r.Label)
			b.LabelCounts = append(b.LabelCounts, 0)
			b.labelTokens = append(b.labelTokens, 0)
			b.counts = append(b.counts, make([]int32, len(b.df), cap(b.df)))
		}
		b.LabelCounts[li]++
		idx := int32(b.Rows)
		b.Rows++
		lengths = append(lengths, int32(len(r.Text)))
		for _, t := range rf.nb { // nb features are already unique per row
			id, ok := b.vocab[t]
			if !ok {
				id = int32(len(b.df))
				b.vocab[t] = id
				b.df = append(b.df, 0)
				for l := range b.counts {
					b.counts[l] = append(b.counts[l], 0)
				}
			}
			b.df[id]++
			b.counts[li][id]++
			b.labelTokens[li]++
		}
		ec := b.exact[rf.exact]
		if ec == nil {
			ec = make([]int32, 0, 2)
		}
		for len(ec) <= li {
			ec = append(ec, 0)
		}
		ec[li]++
		b.exact[rf.exact] = ec
		if len(b.sample) < calibSample {
			b.sample = append(b.sample, sampleRow{append([]string(nil), rf.nb...), li})
		} else {
			rng = mix(rng + uint64(b.Rows))
			if j := rng % uint64(b.Rows); j < calibSample {
				b.sample[j] = sampleRow{append([]string(nil), rf.nb...), li}
			}
		}
		b.rowLab = append(b.rowLab, uint16(li))
		b.sigs = append(b.sigs, rf.sig)
		if rf.hasSig {
			for _, k := range bandKeys(&rf.sig) {
				b.bands = append(b.bands, bandEntry{k, idx})
			}
		}
		if rf.url {
			b.urlRows++
			for _, h := range rf.hosts {
				b.hosts[h]++
			}
		}
		if rf.code {
			b.codeRows++
		}
		if rf.inject {
			b.injectRows++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if b.Rows == 0 {
		return nil, fmt.Errorf("%s: no usable rows (text field %q, label field %q)", path, fields.Text, fields.Label)
	}
	sort.Slice(b.bands, func(i, j int) bool { return b.bands[i].key < b.bands[j].key })
	sort.Slice(lengths, func(i, j int) bool { return lengths[i] < lengths[j] })
	b.lenP99 = int(lengths[(len(lengths)-1)*99/100])
	v := float64(len(b.df) + 1)
	for l := range b.Labels {
		b.logPrior = append(b.logPrior, math.Log(float64(b.LabelCounts[l])/float64(b.Rows)))
		b.logDen = append(b.logDen, math.Log(float64(b.labelTokens[l])+v))
	}
	b.calibrate()
	return b, nil
}

// calibrate sets, per label, the naive Bayes margin above which a row with
// that label is flagged. The false-alarm budget (calibBudget of all rows) is
// split equally among the labels in row counts, so a minority label may
// spend a larger share of its own rows: its threshold is the matching
// quantile of leave-one-out margins of baseline rows with that label (rate
// capped at 10%), never below calibFloor. Labels with too few sampled rows
// keep Defaults().NBMargin (Thresholds[l] = 0).
func (b *Baseline) calibrate() {
	b.Thresholds = make([]float64, len(b.Labels))
	if len(b.Labels) < 2 {
		return
	}
	margins := make([][]float64, len(b.Labels))
	var post []float64
	for _, sr := range b.sample {
		if len(sr.toks) == 0 {
			continue
		}
		post = b.logPosteriorsLOO(sr.toks, sr.label, post)
		best := math.Inf(-1)
		for l, lp := range post {
			if l != sr.label && lp > best {
				best = lp
			}
		}
		margins[sr.label] = append(margins[sr.label], best-post[sr.label])
	}
	for l, ms := range margins {
		if len(ms) < calibMinCount {
			continue
		}
		sort.Float64s(ms)
		rate := calibBudget * float64(b.Rows) / (float64(len(b.Labels)) * float64(b.LabelCounts[l]))
		rate = math.Min(rate, 0.10)
		q := ms[int(math.Ceil((1-rate)*float64(len(ms))))-1]
		b.Thresholds[l] = math.Max(q, calibFloor)
	}
	b.sample = nil
}

// neighbours returns baseline rows whose signature is at least minSim similar
// to sig (LSH candidates, verified on the full signature), at most limit.
func (b *Baseline) neighbours(sig *Signature, minSim float64, limit int) []int32 {
	var out []int32
	seen := map[int32]bool{}
	for _, k := range bandKeys(sig) {
		i := sort.Search(len(b.bands), func(i int) bool { return b.bands[i].key >= k })
		for ; i < len(b.bands) && b.bands[i].key == k; i++ {
			row := b.bands[i].row
			if seen[row] {
				continue
			}
			seen[row] = true
			if similarity(sig, &b.sigs[row]) >= minSim {
				out = append(out, row)
				if len(out) >= limit {
					return out
				}
			}
		}
	}
	return out
}

// logPosteriorsLOO is logPosteriors as if the row (toks, label li) had not
// been in the baseline: exact leave-one-out for naive Bayes, whose counts
// are additive.
func (b *Baseline) logPosteriorsLOO(toks []string, li int, out []float64) []float64 {
	own := map[string]int32{}
	for _, t := range toks {
		own[t]++
	}
	out = out[:0]
	rows := float64(b.Rows - 1)
	for l := range b.Labels {
		lc := float64(b.LabelCounts[l])
		lt := float64(b.labelTokens[l])
		if l == li {
			lc--
			lt -= float64(len(toks))
		}
		if lc <= 0 {
			out = append(out, math.Inf(-1))
			continue
		}
		lp := math.Log(lc / rows)
		den := math.Log(lt + float64(len(b.df)+1))
		for _, t := range toks {
			id, ok := b.vocab[t]
			if !ok || b.df[id] <= 1 {
				continue // only in this row: unseen once it is left out
			}
			c := float64(b.counts[l][id])
			if l == li {
				c -= float64(own[t])
			}
			lp += math.Log(c+1) - den
		}
		out = append(out, lp)
	}
	return normalise(out)
}

func normalise(out []float64) []float64 {
	m := math.Inf(-1)
	for _, x := range out {
		m = math.Max(m, x)
	}
	s := 0.0
	for _, x := range out {
		s += math.Exp(x - m)
	}
	ls := m + math.Log(s)
	for i := range out {
		out[i] -= ls
	}
	return out
}

// logPosteriors returns the naive Bayes log-probabilities of each label for
// the features (multinomial, Laplace smoothing alpha=1), normalised.
// Features never seen in the baseline carry no evidence and are skipped.
func (b *Baseline) logPosteriors(toks []string, out []float64) []float64 {
	out = append(out[:0], b.logPrior...)
	for _, t := range toks {
		id, ok := b.vocab[t]
		if !ok {
			continue
		}
		for l := range out {
			out[l] += logInc(b.counts[l][id]) - b.logDen[l]
		}
	}
	return normalise(out)
}

// logTable caches log(c+1) for small counts.
var logTable = func() [4096]float64 {
	var t [4096]float64
	for i := range t {
		t[i] = math.Log(float64(i) + 1)
	}
	return t
}()

func logInc(c int32) float64 {
	if c >= 0 && int(c) < len(logTable) {
		return logTable[c]
	}
	return math.Log(float64(c) + 1)
}

// docFreq is the number of baseline rows containing token t.
func (b *Baseline) docFreq(t string) int32 {
	if id, ok := b.vocab[t]; ok {
		return b.df[id]
	}
	return 0
}
