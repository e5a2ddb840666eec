package modelscan

import "github.com/assay-dev/assay/internal/core"

const category = "model"

// Rule ids are stable: other capabilities (policy, docs) refer to them.
var (
	RulePickleFormat = core.Rule{ID: "ASSAY-MDL-001", Severity: core.SeverityInfo, Category: category,
		Title:       "Pickle-based model format where a safe one exists",
		Description: "Pickle-based model files (PyTorch .pt/.bin/.ckpt, joblib, raw pickles) run code when they are loaded with torch.load, joblib.load or pickle.load. The same weights can be stored in a format that holds only data.",
		Fix:         "Convert the weights to safetensors (or ONNX/GGUF) and load them with a data-only loader; where a pickle is unavoidable, load with torch.load(weights_only=True) on torch>=2.6.",
		Tags:        []string{"pickle"}}
	RuleDangerousImport = core.Rule{ID: "ASSAY-MDL-002", Severity: core.SeverityCritical, Category: category,
		Title:       "Pickle imports or calls code that can run commands",
		Description: "The pickle imports a callable that executes code, runs shell commands, opens network connections, touches files or loads further pickles (os/subprocess/builtins eval/exec/getattr, runpy, importlib, socket, nested loads, operator/functools tricks, torch hub/jit, mlflow, pandas readers, ...), or uses a structural trick (computed import target, BUILD installing a hook). Loading the file runs it.",
		Fix:         "Do not load this file. Obtain the model from a trusted source in safetensors format, or re-export it from a clean environment; report the file to the hub that served it.",
		Tags:        []string{"pickle", "code-execution"}}
	RuleUnknownImport = core.Rule{ID: "ASSAY-MDL-003", Severity: core.SeverityMedium, Category: category,
		Title:       "Pickle imports a callable that is not known to be safe",
		Description: "The pickle imports a callable that is neither known-safe data reconstruction (tensors, numpy arrays, collections, estimator classes) nor known-dangerous. Loading the file calls it with arguments chosen by the file's author.",
		Fix:         "Check that the module named in the evidence is your own code or a library you trust; prefer saving only the state_dict/weights (safetensors) instead of whole Python objects.",
		Tags:        []string{"pickle"}}
	RuleBrokenStream = core.Rule{ID: "ASSAY-MDL-004", Severity: core.SeverityHigh, Category: category,
		Title:       "Pickle stream is broken or truncated after content",
		Description: "The pickle stream stops parsing after it has already executed opcodes. Python's loader runs everything before the error, so a payload placed before the break executes while naive scanners give up (the nullifAI technique). Everything before the break was analysed.",
		Fix:         "Treat the file as hostile unless you can re-download an intact copy whose hash matches the publisher's; never load a model that fails to parse.",
		Tags:        []string{"pickle", "evasion"}}
	RuleUnpinned = core.Rule{ID: "ASSAY-MDL-005", Severity: core.SeverityLow, Category: category,
		Title:       "Model file has no hash pinned anywhere in the project",
		Description: "Nothing in the project records this model file's sha256 (no manifest, lock, DVC or LFS pointer mentions it, and no verified signature covers it), so a swapped file would go unnoticed.",
		Fix:         "Record the file's sha256 (e.g. `assay manifest` and commit the manifest, or a DVC/LFS pointer), or sign it with `assay sign`.",
		Tags:        []string{"integrity"}}
	RuleKerasLambda = core.Rule{ID: "ASSAY-MDL-006", Severity: core.SeverityHigh, Category: category,
		Title:       "Keras model carries serialized Python code (Lambda layer)",
		Description: "A Lambda layer stores Python bytecode (marshal, base64) in the model config; legacy HDF5 loading and Keras 3 with safe_mode=False execute it (CVE-2024-3660).",
		Fix:         "Replace the Lambda layer with a registered custom layer whose code you ship yourself, and load with safe_mode=True.",
		Tags:        []string{"keras", "code-execution"}}
	RuleKerasCustom = core.Rule{ID: "ASSAY-MDL-007", Severity: core.SeverityMedium, Category: category,
		Title:       "Keras model references custom objects from outside Keras",
		Description: "The model config names classes or functions from modules other than Keras/TensorFlow; loading imports and runs that code if it is installed.",
		Fix:         "Make sure every module named in the evidence is your own reviewed code or a pinned dependency; pass custom_objects explicitly instead of relying on registration.",
		Tags:        []string{"keras"}}
	RuleChatTemplate = core.Rule{ID: "ASSAY-MDL-008", Severity: core.SeverityCritical, Category: category,
		Title:       "GGUF chat template contains a Jinja sandbox-escape pattern",
		Description: "The tokenizer.chat_template metadata is rendered with Jinja2 by llama.cpp bindings and servers; dunder attribute walks (__class__, __globals__, __builtins__, __import__, __subclasses__), attr() filters and os.popen in a template escape the sandbox and run commands (CVE-2024-34359).",
		Fix:         "Do not serve this model with its embedded template; replace tokenizer.chat_template with a reviewed template and report the file to the hub that served it.",
		Tags:        []string{"gguf", "code-execution"}}
	RuleONNXExternal = core.Rule{ID: "ASSAY-MDL-009", Severity: core.SeverityHigh, Category: category,
		Title:       "ONNX external data location escapes the model directory",
		Description: "An initializer's external_data location is absolute or climbs out of the model directory, so loading the model reads an arbitrary file of the host into the model (and may leak it through outputs).",
		Fix:         "Keep external tensor files next to the model and reference them by a plain relative name; re-export the model with onnx.save(..., location=\"weights.data\").",
		Tags:        []string{"onnx", "traversal"}}
	RuleONNXCustomOp = core.Rule{ID: "ASSAY-MDL-010", Severity: core.SeverityMedium, Category: category,
		Title:       "ONNX model uses operators from a custom domain",
		Description: "Nodes or opset imports use an operator domain that is not a standard ONNX/ONNX Runtime domain; running the model requires loading a custom-op library (native or Python code) that the model's author chose.",
		Fix:         "Only run the model with custom-op libraries you build or trust; prefer a model exported with standard operators.",
		Tags:        []string{"onnx"}}
	RuleSafetensorsHeader = core.Rule{ID: "ASSAY-MDL-011", Severity: core.SeverityHigh, Category: category,
		Title:       "safetensors header violates the format",
		Description: "The safetensors header is oversized, not valid JSON, has duplicate keys, unknown dtypes, tensor offsets out of range, overlapping or with holes, or bytes after the data. Such files exploit parser differences between loaders.",
		Fix:         "Re-export the model with the safetensors library and compare its sha256 with the publisher's.",
		Tags:        []string{"safetensors"}}
	RuleArchivePath = core.Rule{ID: "ASSAY-MDL-012", Severity: core.SeverityHigh, Category: category,
		Title:       "Model archive entry escapes the extraction directory",
		Description: "An entry of a model archive has an absolute path, a '..' component or is a symlink/hardlink; extracting it writes or reads outside the target directory.",
		Fix:         "Do not extract the archive with a tool that trusts entry paths; re-create it with plain relative names.",
		Tags:        []string{"archive", "traversal"}}
	RuleArchiveBomb = core.Rule{ID: "ASSAY-MDL-013", Severity: core.SeverityHigh, Category: category,
		Title:       "Model archive is a decompression bomb",
		Description: "A member of a model archive declares or expands to an uncompressed size far beyond its compressed size (ratio and size over the bound); extracting it exhausts disk or memory.",
		Fix:         "Do not extract the archive; obtain the model from its publisher in an uncompressed layout.",
		Tags:        []string{"archive", "dos"}}
	RuleNumpyObject = core.Rule{ID: "ASSAY-MDL-014", Severity: core.SeverityMedium, Category: category,
		Title:       "numpy array with object dtype holds a pickle",
		Description: "An .npy/.npz array has an object dtype; its data is a pickle that numpy.load(allow_pickle=True) runs. The embedded pickle is analysed by ASSAY-MDL-002/003.",
		Fix:         "Store numeric arrays with a numeric dtype, and load numpy files with allow_pickle=False.",
		Tags:        []string{"numpy", "pickle"}}
	RuleWrapped = core.Rule{ID: "ASSAY-MDL-015", Severity: core.SeverityMedium, Category: category,
		Title:       "Model hidden in an unusual container",
		Description: "A pickle-based model is wrapped in a container its loader does not expect (a PyTorch archive packed with 7z instead of zip or compressed with gzip/bzip2/xz, a pickle inside a 7z). Scanners that only open zips skip it: the first nullifAI technique. (Compressed raw pickles are not flagged: pandas, joblib and networkx read them natively; their content is still analysed.)",
		Fix:         "Distribute models in their native layout (PyTorch zip, safetensors); be suspicious of models that need unpacking before loading.",
		Tags:        []string{"evasion"}}
)

var allRules = []core.Rule{
	RulePickleFormat, RuleDangerousImport, RuleUnknownImport, RuleBrokenStream, RuleUnpinned,
	RuleKerasLambda, RuleKerasCustom, RuleChatTemplate, RuleONNXExternal, RuleONNXCustomOp,
	RuleSafetensorsHeader, RuleArchivePath, RuleArchiveBomb, RuleNumpyObject, RuleWrapped,
}
