package datagate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// MemoryLimit is the soft Go heap limit the CLI sets for screening
// (runtime/debug.SetMemoryLimit): it keeps a 1,000,000-row batch against a
// 1,000,000-row baseline under 2 GB of RSS.
const MemoryLimit = 1400 << 20

// Options tune screening. The zero value is replaced by Defaults().
type Options struct {
	Fields Fields
	// NBMargin: a row is flagged when the baseline model's log-probability of
	// the best other label exceeds that of the row's label by more than this
	// (natural log; 9.2 ≈ the row's label is 10,000× less likely). By default
	// the margin is calibrated per label on the baseline itself (leave-one-out,
	// 0.5% target false-alarm rate); NBMargin applies to labels too rare to
	// calibrate, or to all labels when set explicitly with FixedMargin.
	NBMargin float64
	// fixedMargin disables per-label calibration (set via WithFixedMargin).
	fixedMargin bool
	// Triggers: a token is a backdoor-trigger candidate when it occurs in at
	// least TriggerMinRows batch rows, at least TriggerMinEnrichment times
	// more often (per row) than in the baseline, and at least
	// TriggerMinShare of its batch rows carry one label.
	TriggerMinRows       int
	TriggerMinEnrichment float64
	TriggerMinShare      float64
	// Floods: a near-duplicate cluster (MinHash similarity >= NearSim) of at
	// least FloodMinSize rows whose size exceeds FloodFactor × the count the
	// baseline predicts + FloodMinSize.
	NearSim      float64
	FloodMinSize int
	FloodFactor  float64
	// ChiSquareP: label shift is reported below this p-value.
	ChiSquareP float64
	// MaxRowFindings caps per-row findings per rule in the report (every
	// flagged row is still quarantined and counted).
	MaxRowFindings int
}

// Defaults are the thresholds docs/detection.md was measured with.
func Defaults() Options {
	return Options{
		Fields:               Fields{Text: "text", Label: "label"},
		NBMargin:             9.2,
		TriggerMinRows:       5,
		TriggerMinEnrichment: 20,
		TriggerMinShare:      0.9,
		NearSim:              0.7,
		FloodMinSize:         4,
		FloodFactor:          3,
		ChiSquareP:           0.001,
		MaxRowFindings:       50,
	}
}

// WithFixedMargin returns o using margin for every label instead of the
// calibrated per-label thresholds.
func (o Options) WithFixedMargin(margin float64) Options {
	o.NBMargin = margin
	o.fixedMargin = true
	return o
}

// Result is the outcome of screening one batch.
type Result struct {
	Findings []core.Finding
	Errors   []core.Error
	Rows     int
	// Quarantined marks rows (by Index) that must not reach training.
	Quarantined []bool
	Accepted    int
	Held        int
	// Stats carries batch-level statistics for the report.
	Stats map[string]string
}

// reason bits per row
const (
	rMalformed uint16 = 1 << iota
	rSchema
	rContent
	rFlood
	rFlip
	rTrigger
	rModel
	rInjection
	rForeign
)

type rowState struct {
	line  int
	label int // -1 unknown/missing
	flags uint16
	sig   Signature
	has   bool
}

// Screen screens the batch at path against base.
func Screen(ctx context.Context, path string, base *Baseline, opts Options) (*Result, error) {
	rd, closeRows, err := openRows(path, opts.Fields)
	if err != nil {
		return nil, err
	}
	defer closeRows()
	s := &screener{path: path, base: base, opts: opts, per: map[string]*ruleAgg{}, tokIx: map[string]int32{}}
	maxLen := 4 * base.lenP99
	if maxLen < 4096 {
		maxLen = 4096
	}
	baseURL := float64(base.urlRows) / float64(base.Rows)
	baseCode := float64(base.codeRows) / float64(base.Rows)
	baseInj := float64(base.injectRows) / float64(base.Rows)
	seen := map[string]struct{}{}
	labelCounts := make([]int, len(base.Labels))
	extraFields := map[string]int{}
	// The baseline is read-only from here on: look-ups run in the parallel
	// feature phase.
	enrich := func(rf *rowFeatures) {
		if rf.row.Problem != "" {
			return
		}
		if _, ok := base.exact[rf.exact]; !ok && rf.hasSig {
			rf.neighbours = base.neighbours(&rf.sig, 0.8, 64)
		}
		if len(rf.toks) > 0 && len(base.Labels) > 1 {
			rf.post = base.logPosteriors(rf.nb, nil)
		}
	}
	err = featureStream(ctx, rd, enrich, func(rf rowFeatures) error {
		r := rf.row
		st := rowState{line: r.Line, label: -1}
		defer func() { s.rows = append(s.rows, st) }()
		if r.Problem != "" {
			st.flags |= rMalformed
			s.rowFinding(ruleMalformed, r.Line, r.Problem, "", 0)
			return nil
		}
		for _, e := range r.Extra {
			extraFields[e]++
		}
		if !r.HasText || !r.HasLabel {
			missing := opts.Fields.Text
			if r.HasText {
				missing = opts.Fields.Label
			}
			st.flags |= rSchema
			s.rowFinding(ruleSchema, r.Line, fmt.Sprintf("field %q is missing", missing), "", 0)
			return nil
		}
		li, known := base.LabelIx[r.Label]
		if !known {
			st.flags |= rSchema
			s.rowFinding(ruleSchema, r.Line, fmt.Sprintf("label %q does not occur in the baseline (labels: %s)", r.Label, strings.Join(base.Labels, ", ")), r.Label, 0)
		} else {
			st.label = li
			labelCounts[li]++
		}
		switch {
		case strings.TrimSpace(r.Text) == "":
			st.flags |= rContent
			s.rowFinding(ruleContent, r.Line, "empty text", "", 0)
		case len(r.Text) > maxLen:
			st.flags |= rContent
			s.rowFinding(ruleContent, r.Line, fmt.Sprintf("text of %d bytes; the baseline's 99th percentile is %d", len(r.Text), base.lenP99), core.Clip(r.Text, 80), 0)
		default:
			if bad, why := nonText(r.Text); bad {
				st.flags |= rContent
				s.rowFinding(ruleContent, r.Line, "non-text content: "+why, core.Clip(strconv.Quote(r.Text), 80), 0)
			}
		}
		if rf.inject && baseInj < 0.001 {
			st.flags |= rInjection
			s.rowFinding(ruleInjection, r.Line, "prompt-injection phrase; the baseline has none", core.Clip(injectionRe.FindString(r.Text), 120), 0)
		}
		if rf.url && baseURL < 0.005 {
			st.flags |= rForeign
			s.rowFinding(ruleForeign, r.Line, fmt.Sprintf("URL in text; %.2f%% of baseline rows have one", 100*baseURL), core.Clip(urlRe.FindString(r.Text), 120), 0)
		} else if rf.code && baseCode < 0.005 {
			st.flags |= rForeign
			s.rowFinding(ruleForeign, r.Line, fmt.Sprintf("code in text; %.2f%% of baseline rows have it", 100*baseCode), core.Clip(codeRe.FindString(r.Text), 120), 0)
		}
		if known {
			// copies of baseline rows with another label
			if ec := base.exact[rf.exact]; ec != nil {
				other, same := 0, 0
				for l, c := range ec {
					if l == li {
						same += int(c)
					} else {
						other += int(c)
					}
				}
				if same == 0 && other > 0 {
					st.flags |= rFlip
					s.rowFinding(ruleFlip, r.Line, fmt.Sprintf("the baseline has this text %d time(s), never labelled %q (baseline label: %s)", other, r.Label, majority(base, ec)), core.Clip(r.Text, 100), 0)
				}
			} else if rf.hasSig {
				if nb := rf.neighbours; len(nb) > 0 {
					counts := make([]int32, len(base.Labels))
					for _, row := range nb {
						counts[base.rowLab[row]]++
					}
					if counts[li] == 0 {
						st.flags |= rFlip
						s.rowFinding(ruleFlip, r.Line, fmt.Sprintf("%d near-identical baseline row(s), none labelled %q (baseline label: %s)", len(nb), r.Label, majority(base, counts)), core.Clip(r.Text, 100), 0)
					}
				}
			}
			// disagreement with the baseline model
			if post := rf.post; len(post) > 0 {
				best, bi := math.Inf(-1), -1
				for l, lp := range post {
					if l != li && lp > best {
						best, bi = lp, l
					}
				}
				thr := opts.NBMargin
				if base.Thresholds[li] > 0 && !opts.fixedMargin {
					thr = base.Thresholds[li]
				}
				if margin := best - post[li]; margin > thr {
					st.flags |= rModel
					s.rowFinding(ruleModel, r.Line, fmt.Sprintf("a naive Bayes model of the baseline gives label %q probability %.2g and %q %.2g (log-odds %.1f > %.1f)", r.Label, math.Exp(post[li]), base.Labels[bi], math.Exp(best), margin, thr), core.Clip(r.Text, 100), margin)
				}
			}
			clear(seen)
			for _, t := range rf.toks {
				if _, dup := seen[t]; dup {
					continue
				}
				seen[t] = struct{}{}
				s.countToken(t, li)
			}
		}
		st.sig, st.has = rf.sig, rf.hasSig
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	res := &Result{Rows: len(s.rows), Stats: map[string]string{}}
	s.shift(labelCounts, res)
	s.floods()
	triggers := s.triggers()
	if len(extraFields) > 0 {
		var names []string
		for k, n := range extraFields {
			names = append(names, fmt.Sprintf("%s (%d rows)", k, n))
		}
		sort.Strings(names)
		fd := ruleExtra.New(core.Location{Path: path}, "rows carry fields other than the text and label fields: "+strings.Join(names, ", "), "")
		s.findings = append(s.findings, fd)
	}
	if len(triggers) > 0 {
		if err := s.markTriggers(ctx, triggers); err != nil {
			return nil, err
		}
	}
	for _, agg := range s.per {
		s.findings = append(s.findings, agg.overflow(path)...)
	}
	res.Quarantined = make([]bool, len(s.rows))
	for i, st := range s.rows {
		if st.flags != 0 {
			res.Quarantined[i] = true
			res.Held++
		} else {
			res.Accepted++
		}
	}
	res.Findings = s.findings
	res.Stats["rows"] = strconv.Itoa(res.Rows)
	res.Stats["accepted"] = strconv.Itoa(res.Accepted)
	res.Stats["quarantined"] = strconv.Itoa(res.Held)
	res.Stats["baseline_rows"] = strconv.Itoa(base.Rows)
	return res, nil
}

func majority(b *Baseline, counts []int32) string {
	bi, bc := 0, int32(-1)
	for l, c := range counts {
		if c > bc {
			bi, bc = l, c
		}
	}
	return b.Labels[bi]
}

type screener struct {
	path     string
	base     *Baseline
	opts     Options
	rows     []rowState
	findings []core.Finding
	per      map[string]*ruleAgg
	// batch token statistics for trigger detection: tokIx interns tokens;
	// tokStats holds, per token, its row count then its per-label counts.
	tokIx    map[string]int32
	tokStats []int32
}

func (s *screener) countToken(t string, label int) {
	stride := 1 + len(s.base.Labels)
	id, ok := s.tokIx[t]
	if !ok {
		id = int32(len(s.tokStats) / stride)
		s.tokIx[t] = id
		s.tokStats = append(s.tokStats, make([]int32, stride)...)
	}
	s.tokStats[int(id)*stride]++
	s.tokStats[int(id)*stride+1+label]++
}

// ruleAgg keeps per-row findings of one rule under the cap and counts the rest.
type ruleAgg struct {
	rule       core.Rule
	shown      int
	extra      int
	extraLines []int
}

func (s *screener) rowFinding(rule core.Rule, line int, msg, evidence string, score float64) {
	agg := s.per[rule.ID]
	if agg == nil {
		agg = &ruleAgg{rule: rule}
		s.per[rule.ID] = agg
	}
	if agg.shown >= s.opts.MaxRowFindings {
		agg.extra++
		if len(agg.extraLines) < 200 {
			agg.extraLines = append(agg.extraLines, line)
		}
		return
	}
	agg.shown++
	f := rule.New(core.Location{Path: s.path, Line: line}, msg, evidence)
	if score > 0 {
		f.Confidence = "medium"
	}
	s.findings = append(s.findings, f)
}

func (a *ruleAgg) overflow(path string) []core.Finding {
	if a.extra == 0 {
		return nil
	}
	lines := make([]string, len(a.extraLines))
	for i, l := range a.extraLines {
		lines[i] = strconv.Itoa(l)
	}
	more := ""
	if a.extra > len(a.extraLines) {
		more = fmt.Sprintf(" (first %d shown)", len(a.extraLines))
	}
	f := a.rule.New(core.Location{Path: path, Line: a.extraLines[0]},
		fmt.Sprintf("%d more rows flagged by this rule, all quarantined; lines%s: %s", a.extra, more, strings.Join(lines, ", ")), "")
	return []core.Finding{f}
}

// shift tests the batch label distribution against the baseline's.
func (s *screener) shift(counts []int, res *Result) {
	n := 0
	for _, c := range counts {
		n += c
	}
	if n == 0 || len(counts) < 2 {
		return
	}
	chi, df := 0.0, 0
	var parts []string
	for l, c := range counts {
		p := float64(s.base.LabelCounts[l]) / float64(s.base.Rows)
		exp := p * float64(n)
		if exp > 0 {
			chi += (float64(c) - exp) * (float64(c) - exp) / exp
			df++
		}
		parts = append(parts, fmt.Sprintf("%s %.1f%% (baseline %.1f%%)", s.base.Labels[l], 100*float64(c)/float64(n), 100*p))
	}
	df--
	if df < 1 {
		return
	}
	pval := chiSquareSF(chi, float64(df))
	res.Stats["label_chi_square"] = fmt.Sprintf("%.2f", chi)
	res.Stats["label_shift_p"] = fmt.Sprintf("%.3g", pval)
	if pval < s.opts.ChiSquareP {
		f := ruleShift.New(core.Location{Path: s.path},
			fmt.Sprintf("label distribution differs from the baseline: chi-square %.1f, df %d, p = %.2g < %g; %s", chi, df, pval, s.opts.ChiSquareP, strings.Join(parts, ", ")), "")
		s.findings = append(s.findings, f)
	}
}

// floods finds near-duplicate clusters far larger than the baseline predicts.
func (s *screener) floods() {
	type be struct {
		key uint64
		row int32
	}
	var bands []be
	for i := range s.rows {
		if s.rows[i].has {
			for _, k := range bandKeys(&s.rows[i].sig) {
				bands = append(bands, be{k, int32(i)})
			}
		}
	}
	sort.Slice(bands, func(i, j int) bool {
		if bands[i].key != bands[j].key {
			return bands[i].key < bands[j].key
		}
		return bands[i].row < bands[j].row
	})
	parent := make([]int32, len(s.rows))
	for i := range parent {
		parent[i] = int32(i)
	}
	var find func(int32) int32
	find = func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for i := 0; i < len(bands); {
		j := i
		for j < len(bands) && bands[j].key == bands[i].key {
			j++
		}
		// compare each bucket member with the bucket's first member: O(n)
		head := bands[i].row
		for k := i + 1; k < j; k++ {
			r := bands[k].row
			if similarity(&s.rows[head].sig, &s.rows[r].sig) >= s.opts.NearSim {
				a, b := find(head), find(r)
				if a != b {
					parent[b] = a
				}
			}
		}
		i = j
	}
	clusters := map[int32][]int32{}
	for i := range s.rows {
		if s.rows[i].has {
			r := find(int32(i))
			clusters[r] = append(clusters[r], int32(i))
		}
	}
	scale := float64(len(s.rows)) / float64(s.base.Rows)
	var roots []int32
	for r, m := range clusters {
		if len(m) >= s.opts.FloodMinSize {
			roots = append(roots, r)
		}
	}
	sort.Slice(roots, func(i, j int) bool { return clusters[roots[i]][0] < clusters[roots[j]][0] })
	for _, r := range roots {
		members := clusters[r]
		nb := s.base.neighbours(&s.rows[members[0]].sig, s.opts.NearSim, 100000)
		expected := float64(len(nb)) * scale
		if float64(len(members)) < s.opts.FloodFactor*expected+float64(s.opts.FloodMinSize) {
			continue
		}
		lines := make([]string, 0, len(members))
		for i, m := range members {
			s.rows[m].flags |= rFlood
			if i < 50 {
				lines = append(lines, strconv.Itoa(s.rows[m].line))
			}
		}
		more := ""
		if len(members) > 50 {
			more = fmt.Sprintf(" (first 50 of %d)", len(members))
		}
		f := ruleFlood.New(core.Location{Path: s.path, Line: s.rows[members[0]].line},
			fmt.Sprintf("%d near-duplicate rows (MinHash similarity >= %.2f); the baseline predicts %.1f at this batch size (%d near copies in %d baseline rows); all quarantined; lines%s: %s",
				len(members), s.opts.NearSim, expected, len(nb), s.base.Rows, more, strings.Join(lines, ", ")), "")
		s.findings = append(s.findings, f)
	}
}

type trigger struct {
	tok    string
	label  int
	rows   int
	share  float64
	baseDF int32
	enrich float64
}

// triggers returns tokens rare in the baseline, frequent in the batch and
// concentrated on one label.
func (s *screener) triggers() []trigger {
	n := float64(len(s.rows))
	var out []trigger
	stride := 1 + len(s.base.Labels)
	for t, id := range s.tokIx {
		st := s.tokStats[int(id)*stride : int(id+1)*stride]
		df := st[0]
		if int(df) < s.opts.TriggerMinRows {
			continue
		}
		baseDF := s.base.docFreq(t)
		enrich := (float64(df) / n) / ((float64(baseDF) + 1) / float64(s.base.Rows+1))
		if enrich < s.opts.TriggerMinEnrichment {
			continue
		}
		best, bl := int32(0), 0
		for l := range s.base.Labels {
			if c := st[1+l]; c > best {
				best, bl = c, l
			}
		}
		share := float64(best) / float64(df)
		if share < s.opts.TriggerMinShare {
			continue
		}
		out = append(out, trigger{tok: t, label: bl, rows: int(df), share: share, baseDF: baseDF, enrich: enrich})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].tok < out[j].tok })
	return out
}

// markTriggers re-reads the batch to flag the rows carrying each trigger
// with its label, and reports one finding per trigger.
func (s *screener) markTriggers(ctx context.Context, ts []trigger) error {
	rd, closeRows, err := openRows(s.path, s.opts.Fields)
	if err != nil {
		return err
	}
	defer closeRows()
	byTok := map[string]int{}
	for i, t := range ts {
		byTok[t.tok] = i
	}
	lines := make([][]string, len(ts))
	counts := make([]int, len(ts))
	var toks []string
	i := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := rd.nextRaw()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		rd.parse(&r)
		if i >= len(s.rows) {
			break
		}
		st := &s.rows[i]
		i++
		if r.Problem != "" || st.label < 0 {
			continue
		}
		toks = tokenize(r.Text, toks)
		for _, t := range toks {
			if ti, ok := byTok[t]; ok && ts[ti].label == st.label {
				if st.flags&rTrigger == 0 {
					st.flags |= rTrigger
				}
				counts[ti]++
				if len(lines[ti]) < 50 {
					lines[ti] = append(lines[ti], strconv.Itoa(st.line))
				}
			}
		}
	}
	for ti, t := range ts {
		if counts[ti] == 0 {
			continue
		}
		first, _ := strconv.Atoi(lines[ti][0])
		f := ruleTrigger.New(core.Location{Path: s.path, Line: first},
			fmt.Sprintf("token %q is in %d batch rows (%.0f%% labelled %q) but in only %d of %d baseline rows (%.0f× enrichment): a rare-token backdoor trigger pattern; %d rows quarantined; lines: %s",
				t.tok, t.rows, 100*t.share, s.base.Labels[t.label], t.baseDF, s.base.Rows, t.enrich, counts[ti], strings.Join(lines[ti], ", ")), t.tok)
		s.findings = append(s.findings, f)
	}
	return nil
}

// Split copies the batch's rows into accept and quarantine files (either may
// be empty to skip it), verbatim, each with the batch's header. It returns
// the row counts written. Parquet batches are split into Parquet files with
// the batch's own schema, row for row.
func Split(path string, opts Options, res *Result, acceptPath, quarantinePath string) (accepted, held int, err error) {
	format, err := FormatOf(path)
	if err != nil {
		return 0, 0, err
	}
	if format == Parquet {
		return splitParquet(path, opts.Fields, res, acceptPath, quarantinePath)
	}
	src, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer src.Close()
	rd, err := NewReader(src, format, opts.Fields)
	if err != nil {
		return 0, 0, err
	}
	rd.rawOnly = true
	open := func(p string) (*os.File, error) {
		if p == "" {
			return nil, nil
		}
		f, err := os.Create(p)
		if err != nil {
			return nil, err
		}
		if h := rd.Header().Raw; len(h) > 0 {
			if _, err := f.Write(h); err != nil {
				f.Close()
				return nil, err
			}
		}
		return f, nil
	}
	acc, err := open(acceptPath)
	if err != nil {
		return 0, 0, err
	}
	quar, err := open(quarantinePath)
	if err != nil {
		if acc != nil {
			acc.Close()
		}
		return 0, 0, err
	}
	closeAll := func() error {
		var first error
		for _, f := range []*os.File{acc, quar} {
			if f != nil {
				if err := f.Close(); err != nil && first == nil {
					first = err
				}
			}
		}
		return first
	}
	raw, err := os.Open(path)
	if err != nil {
		closeAll()
		return 0, 0, err
	}
	defer raw.Close()
	for i := 0; ; i++ {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			closeAll()
			return accepted, held, err
		}
		if i >= len(res.Quarantined) {
			closeAll()
			return accepted, held, fmt.Errorf("%s changed while being screened (more rows than before)", path)
		}
		dst := acc
		if res.Quarantined[i] {
			dst = quar
			held++
		} else {
			accepted++
		}
		if dst == nil {
			continue
		}
		if _, err := io.Copy(dst, io.NewSectionReader(raw, r.Start, r.End-r.Start)); err != nil {
			closeAll()
			return accepted, held, err
		}
		// A last row without a newline gets one, so files concatenate safely.
		if r.End > r.Start {
			var last [1]byte
			if _, err := raw.ReadAt(last[:], r.End-1); err == nil && last[0] != '\n' {
				if _, err := dst.Write([]byte{'\n'}); err != nil {
					closeAll()
					return accepted, held, err
				}
			}
		}
	}
	if accepted+held != res.Rows {
		closeAll()
		return accepted, held, fmt.Errorf("%s changed while being screened: %d rows now, %d screened", path, accepted+held, res.Rows)
	}
	return accepted, held, closeAll()
}
