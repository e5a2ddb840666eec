// Package datagate authenticates, screens and quarantines training-data
// batches before they reach (re)training.
//
// Screening compares a new batch with a trusted baseline dataset: schema and
// content checks, duplicate floods (MinHash/LSH), copies of baseline rows
// with a different label, label-distribution shift (chi-square), rare-token
// backdoor triggers concentrated on one label, rows a naive Bayes model
// trained on the baseline strongly disagrees with, and prompt-injection
// phrases, URLs and code the baseline never has. Batches are streamed:
// memory grows with the vocabulary and per-row signatures, not with text.
// One row is at most MaxRecordBytes; longer rows are reported, not read.
package datagate
