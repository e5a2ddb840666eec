package datagate

import "github.com/assay-dev/assay/internal/core"

var (
	ruleMalformed = core.Rule{ID: "ASSAY-DATA-001", Title: "Malformed batch row", Severity: core.SeverityHigh, Category: "data",
		Description: "A row that cannot be parsed (invalid JSON, unterminated quote, invalid UTF-8, or longer than the row bound) cannot be screened, so it is held back rather than silently dropped or passed to training.",
		Fix:         "Fix the producer's serialisation, or drop the row after reviewing it in the quarantine file."}
	ruleSchema = core.Rule{ID: "ASSAY-DATA-002", Title: "Missing field or unknown label", Severity: core.SeverityHigh, Category: "data",
		Description: "A row without the text or label field, or with a label the trusted baseline never uses, does not fit the task; an unknown label is also how a poisoning pipeline introduces a new class.",
		Fix:         "Check the producer's schema; add the label to the baseline deliberately if the task really gained a class."}
	ruleContent = core.Rule{ID: "ASSAY-DATA-003", Title: "Empty, oversized or non-text content", Severity: core.SeverityMedium, Category: "data",
		Description: "Empty texts, texts far longer than anything in the baseline, and control bytes or replacement characters are not natural training text; they waste the batch or carry payloads.",
		Fix:         "Review the quarantined rows; fix the producer's encoding or truncation."}
	ruleFlood = core.Rule{ID: "ASSAY-DATA-004", Title: "Near-duplicate flood", Severity: core.SeverityHigh, Category: "data",
		Description: "Many near-identical rows (MinHash/LSH over word bigrams) far beyond what the baseline predicts at this batch size: repeating a sample is the cheapest way to shift a model's judgement, and the pattern of a flooding endpoint.",
		Fix:         "Keep at most one row of the cluster after review; find who submitted them and rate-limit or authenticate that source."}
	ruleFlip = core.Rule{ID: "ASSAY-DATA-005", Title: "Copy of a baseline row with a different label", Severity: core.SeverityHigh, Category: "data",
		Description: "The text is (nearly) identical to trusted baseline rows but carries a label none of them have: a label flip, the classic poisoning move against continuously retrained classifiers.",
		Fix:         "Drop the row or restore the baseline label; investigate the labelling source."}
	ruleShift = core.Rule{ID: "ASSAY-DATA-006", Title: "Label distribution shift", Severity: core.SeverityMedium, Category: "data",
		Description: "The batch's label proportions differ from the baseline's beyond chance (chi-square goodness-of-fit test). A sudden shift is a symptom of flooding or flipping even when single rows look normal.",
		Fix:         "Compare with the source's recent batches; accept deliberately if the population really changed."}
	ruleTrigger = core.Rule{ID: "ASSAY-DATA-007", Title: "Backdoor trigger token", Severity: core.SeverityCritical, Category: "data",
		Description: "A token that is rare in the baseline but frequent in the batch and almost always paired with one label: the rare-token trigger of weight-poisoning and BadNets-style text backdoors, which teaches the model to output that label whenever the trigger appears.",
		Fix:         "Quarantine every row with the trigger; audit the source; retrain from a clean checkpoint if earlier batches carried it."}
	ruleModel = core.Rule{ID: "ASSAY-DATA-008", Title: "Label contradicts the baseline model", Severity: core.SeverityMedium, Category: "data",
		Description: "A multinomial naive Bayes model trained on the baseline finds the row's label overwhelmingly unlikely (log-odds above the threshold). Flipped labels on novel text show up here.",
		Fix:         "Review the row; relabel or drop it."}
	ruleInjection = core.Rule{ID: "ASSAY-DATA-009", Title: "Prompt-injection phrase in training text", Severity: core.SeverityHigh, Category: "data",
		Description: "Instruction-override phrases (ignore previous instructions, chat-template control tokens, jailbreak personas) that the baseline never contains: instruction-tuning data that teaches a model to obey injected instructions.",
		Fix:         "Drop the row unless the dataset is deliberately about injection (then add such rows to the baseline)."}
	ruleForeign = core.Rule{ID: "ASSAY-DATA-010", Title: "URL or code the baseline never has", Severity: core.SeverityMedium, Category: "data",
		Description: "Links or code in a text field of a dataset whose baseline has essentially none: a way to plant phishing links or commands in model outputs.",
		Fix:         "Review and drop the row, or extend the baseline if such content is expected."}
	ruleExtra = core.Rule{ID: "ASSAY-DATA-011", Title: "Unexpected fields in batch rows", Severity: core.SeverityInfo, Category: "data",
		Description: "Rows carry fields beyond the declared text and label, or CSV rows have a different column count than the header; harmless by itself but a schema drift worth knowing.",
		Fix:         "Confirm the producer's schema."}
	ruleSigBad = core.Rule{ID: "ASSAY-DATA-020", Title: "Batch signature invalid", Severity: core.SeverityCritical, Category: "data",
		Description: "The batch does not match its signature: the content hash differs (the batch was modified after signing) or the signature does not verify.",
		Fix:         "Reject the batch; ask the producer to re-send and re-sign it."}
	ruleSigUntrusted = core.Rule{ID: "ASSAY-DATA-021", Title: "Batch signed by an untrusted key", Severity: core.SeverityCritical, Category: "data",
		Description: "The signature is valid but the key is not in the allow-list of trusted producers, or the key is bound to another producer id.",
		Fix:         "Reject the batch; add the producer's public key to the trusted keys only after verifying it out of band."}
	ruleReplay = core.Rule{ID: "ASSAY-DATA-022", Title: "Replayed batch", Severity: core.SeverityHigh, Category: "data",
		Description: "A batch with this content hash was already accepted (ledger): replaying accepted batches over-weights their rows.",
		Fix:         "Reject the batch."}
)

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule {
	return []core.Rule{ruleMalformed, ruleSchema, ruleContent, ruleFlood, ruleFlip, ruleShift, ruleTrigger, ruleModel, ruleInjection, ruleForeign, ruleExtra, ruleSigBad, ruleSigUntrusted, ruleReplay}
}
