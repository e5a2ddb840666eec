package aiassets

import "github.com/assay-dev/assay/internal/core"

// Rule ids are pre-assigned and relied on by other capabilities (policy
// re-grades ASSAY-AI-002); never renumber them.
var (
	// RuleTrustRemoteCode is trust_remote_code=True on a hub load.
	RuleTrustRemoteCode = core.Rule{
		ID:       "ASSAY-AI-001",
		Title:    "Model loaded with trust_remote_code=True",
		Severity: core.SeverityHigh,
		Category: "aiasset",
		Description: "trust_remote_code=True makes transformers (and vLLM, sentence-transformers, datasets) download " +
			"and import Python modules that ship inside the hub repository. Whoever can push to that repository " +
			"(or to the branch the load resolves to) runs code in your process with your credentials.",
		Fix:  "Drop trust_remote_code=True and use a model whose architecture is built into the library; if you must keep it, pin revision= to an audited 40-hex commit and review that commit's *.py files.",
		Tags: []string{"model", "code-execution"},
	}
	// RuleUnpinnedRevision is a hub model or dataset loaded by name without a commit pin.
	RuleUnpinnedRevision = core.Rule{
		ID:       "ASSAY-AI-002",
		Title:    "Hub model or dataset without a pinned commit revision",
		Severity: core.SeverityMedium,
		Category: "aiasset",
		Description: "A model or dataset fetched by name at run time resolves to whatever its branch points at when the " +
			"code runs. Branches and tags on a hub are mutable — the model-world twin of a mutable action tag — so " +
			"a compromised or careless upstream push changes what you load without any change on your side.",
		Fix:  "Pass revision=\"<40-hex commit sha>\" (the commit you reviewed) to the load call.",
		Tags: []string{"model", "dataset", "pinning"},
	}
	// RuleTorchLoad is torch.load without weights_only=True.
	RuleTorchLoad = core.Rule{
		ID:       "ASSAY-AI-003",
		Title:    "torch.load without weights_only=True",
		Severity: core.SeverityHigh,
		Category: "aiasset",
		Description: "torch.load unpickles its input. Without weights_only=True (the default only from torch 2.6 on, " +
			"and explicitly overridable with weights_only=False) a crafted checkpoint runs arbitrary code on load.",
		Fix:  "Call torch.load(path, weights_only=True) on torch >= 2.6 (CVE-2025-32434), or store weights as safetensors and load them with safetensors.torch.load_file.",
		Tags: []string{"model", "pickle", "code-execution"},
	}
	// RulePickleLoad is pickle/joblib/numpy(allow_pickle)/pandas pickle loading.
	RulePickleLoad = core.Rule{
		ID:       "ASSAY-AI-004",
		Title:    "Unpickling a file (high when it was downloaded)",
		Severity: core.SeverityHigh,
		Category: "aiasset",
		Description: "pickle.load, joblib.load, numpy.load(allow_pickle=True), pandas.read_pickle, dill and cloudpickle " +
			"execute whatever the pickle stream tells them to. Loading a file that was just downloaded (hf_hub_download, " +
			"urlretrieve, requests) hands code execution to whoever controls the remote; a local file is only as safe as " +
			"everyone who could write it (graded medium).",
		Fix:  "Use a data-only format (safetensors, JSON, numpy without allow_pickle, parquet, skops with trusted types); if a pickle is unavoidable, pin and verify its sha256 before loading and scan it with `assay model`.",
		Tags: []string{"pickle", "code-execution"},
	}
	// RuleDangerousDeserialization is allow_dangerous_deserialization=True.
	RuleDangerousDeserialization = core.Rule{
		ID:       "ASSAY-AI-005",
		Title:    "allow_dangerous_deserialization=True",
		Severity: core.SeverityHigh,
		Category: "aiasset",
		Description: "LangChain refuses to unpickle vector-store indexes (FAISS.load_local and friends) unless told " +
			"allow_dangerous_deserialization=True; with it, anyone who can replace the index files runs code in the " +
			"application.",
		Fix:  "Rebuild the index from source documents at start-up, or keep the index where only the deploying identity can write and verify its hash before loading; then remove allow_dangerous_deserialization=True.",
		Tags: []string{"pickle", "code-execution", "langchain"},
	}
	// RuleAPIKeyLiteral is an LLM/hub API key written into code.
	RuleAPIKeyLiteral = core.Rule{
		ID:       "ASSAY-AI-006",
		Title:    "API key literal in code",
		Severity: core.SeverityHigh,
		Category: "aiasset",
		Description: "An OpenAI, Anthropic, Hugging Face or Google API key appears as a literal in source code or a " +
			"notebook. Anyone with read access to the repository (or its history, or a published package) can use " +
			"it; hub write tokens also let them replace your models.",
		Fix:  "Revoke the key at the provider now, remove it from the code and the git history, and read it from the environment or a secret manager (os.environ[\"OPENAI_API_KEY\"]).",
		Tags: []string{"secret"},
	}
)

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule {
	return []core.Rule{RuleTrustRemoteCode, RuleUnpinnedRevision, RuleTorchLoad, RulePickleLoad, RuleDangerousDeserialization, RuleAPIKeyLiteral}
}
