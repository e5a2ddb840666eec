package aiassets

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/assay-dev/assay/internal/core"
)

// Ecosystems this capability names (besides core.EcosystemHuggingFace).
const (
	EcosystemOllama     = "Ollama"
	EcosystemPyTorchHub = "PyTorch Hub"
)

// Component property keys this capability sets.
const (
	PropModels   = "models"   // service: comma-separated model names seen in calls
	PropEndpoint = "endpoint" // service: base URLs given in code
	PropVia      = "via"      // service reached through a gateway (litellm)
	PropLibrary  = "library"  // model/dataset: the library that loads it
	PropFile     = "file"     // model: the file fetched from a hub repository
	PropRepoType = "repo_type"
)

// pathExists reports whether a relative path exists in the scanned tree
// (used to tell a local checkpoint directory from a hub id). Nil: unknown.
type pathExists func(rel string) bool

// emitter turns one file's calls into components and findings.
type emitter struct {
	path     string
	exists   pathExists
	comps    []core.Component
	findings []core.Finding
	services map[string]*serviceUse
	bound    map[string]string // variable -> provider
}

type serviceUse struct {
	models    map[string]bool
	endpoints map[string]bool
	via       map[string]bool
	locs      []core.Location
}

func newEmitter(path string, exists pathExists) *emitter {
	return &emitter{path: path, exists: exists, services: map[string]*serviceUse{}, bound: map[string]string{}}
}

// process applies every rule and discovery to the file's calls.
func (e *emitter) process(f *fileFacts) {
	// Pass 1: clients assigned to variables, so later method calls on them
	// are attributed to their provider.
	for i := range f.calls {
		c := &f.calls[i]
		if c.target == "" {
			continue
		}
		if p := e.moduleProvider(c); p != "" {
			e.bound[c.target] = p
		}
	}
	for i := range f.calls {
		c := &f.calls[i]
		e.flags(c)
		e.unsafeLoads(c)
		if e.hubLoads(c, f) {
			continue
		}
		e.remoteData(c)
		e.serviceCall(c)
	}
}

// finish returns the file's components (one per service provider) and findings.
func (e *emitter) finish() core.Result {
	providers := make([]string, 0, len(e.services))
	for p := range e.services {
		providers = append(providers, p)
	}
	sort.Strings(providers)
	for _, p := range providers {
		e.comps = append(e.comps, serviceComponent(p, e.services[p]))
	}
	return core.Result{Components: e.comps, Findings: e.findings}
}

func serviceComponent(provider string, u *serviceUse) core.Component {
	c := core.Component{Kind: core.KindService, Name: provider, Direct: true, Locations: u.locs}
	props := map[string]string{}
	if s := joinSet(u.models); s != "" {
		props[PropModels] = s
	}
	if s := joinSet(u.endpoints); s != "" {
		props[PropEndpoint] = s
	}
	if s := joinSet(u.via); s != "" {
		props[PropVia] = s
	}
	if len(props) > 0 {
		c.Properties = props
	}
	return c
}

func joinSet(m map[string]bool) string {
	if len(m) == 0 {
		return ""
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func (e *emitter) finding(r core.Rule, c *call, msg, evidence, component string) *core.Finding {
	f := r.New(c.loc, msg, evidence)
	if c.inErr {
		return &f // not reported: the syntax around it did not parse
	}
	f.Component = component
	e.findings = append(e.findings, f)
	return &e.findings[len(e.findings)-1]
}

// ---- flags: trust_remote_code, allow_dangerous_deserialization ----

func (e *emitter) flags(c *call) {
	if v, ok := c.kw["trust_remote_code"]; ok && v.kind == vTrue {
		e.finding(RuleTrustRemoteCode, c, fmt.Sprintf("%s is called with trust_remote_code=True: Python files from the model repository are imported and run", shortName(c)), c.text, "")
	}
	if v, ok := c.kw["allow_dangerous_deserialization"]; ok && v.kind == vTrue {
		e.finding(RuleDangerousDeserialization, c, fmt.Sprintf("%s unpickles its index (allow_dangerous_deserialization=True)", shortName(c)), c.text, "")
	}
}

// flagPairs reports the same flags written as dict entries (model_kwargs={…}).
func (e *emitter) flagPairs(ps []flagPair) {
	for _, p := range ps {
		c := &call{loc: p.loc, text: p.txt}
		r := RuleTrustRemoteCode
		msg := "trust_remote_code is set to True in a keyword dict: Python files from the model repository are imported and run"
		if p.key == "allow_dangerous_deserialization" {
			r = RuleDangerousDeserialization
			msg = "allow_dangerous_deserialization is set to True in a keyword dict"
		}
		e.finding(r, c, msg, p.txt, "")
	}
}

func shortName(c *call) string {
	if c.raw != "" {
		return c.raw + "()"
	}
	return "the call"
}

// ---- unsafe deserialisation ----

var pickleLoaders = map[string]bool{
	"pickle.load": true, "pickle.loads": true, "pickle.Unpickler": true, "cPickle.load": true, "cPickle.loads": true,
	"_pickle.load": true, "_pickle.loads": true, "dill.load": true, "dill.loads": true, "cloudpickle.load": true,
	"cloudpickle.loads": true, "joblib.load": true, "sklearn.externals.joblib.load": true, "pandas.read_pickle": true,
	"pickle5.load": true, "pickle5.loads": true,
}

func (e *emitter) unsafeLoads(c *call) {
	name := c.name
	if !c.resolved {
		name = c.raw
	}
	switch {
	case name == "torch.load":
		wo, ok := c.kw["weights_only"]
		switch {
		case !ok:
			f := e.finding(RuleTorchLoad, c, "torch.load is called without weights_only=True; before torch 2.6 this unpickles arbitrary objects, and the call is not explicit about it", c.text, "")
			f.Confidence = "medium"
		case wo.kind == vFalse:
			e.finding(RuleTorchLoad, c, "torch.load is called with weights_only=False: the checkpoint is fully unpickled and can run code", c.text, "")
		}
	case pickleLoaders[name] || name == "numpy.load" && c.kw["allow_pickle"].kind == vTrue:
		a, _ := c.arg(0, "file", "filename", "filepath_or_buffer", "path")
		if a.downloaded {
			e.finding(RulePickleLoad, c, fmt.Sprintf("%s unpickles data that was downloaded: whoever controls the remote runs code here", name), c.text, "")
			return
		}
		if strings.HasSuffix(name, ".loads") {
			return // in-memory bytes of unknown origin: IPC and caches, not a loaded file
		}
		f := e.finding(RulePickleLoad, c, fmt.Sprintf("%s unpickles a file; it runs code if the file was ever replaced", name), c.text, "")
		f.Severity = core.SeverityMedium
		f.Confidence = "medium"
	}
}

// ---- hub models and datasets ----

var hexSHA = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)

func pinned(rev string) bool { return hexSHA.MatchString(rev) }

var hubID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._\-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._\-]{0,95})?$`)

var fileExts = map[string]bool{".bin": true, ".pt": true, ".pth": true, ".safetensors": true, ".gguf": true, ".onnx": true,
	".json": true, ".ckpt": true, ".h5": true, ".pkl": true, ".pb": true, ".keras": true, ".model": true, ".csv": true,
	".jsonl": true, ".parquet": true, ".txt": true, ".zip": true, ".tar": true, ".gz": true, ".npz": true, ".npy": true}

// isHubID tells a hub repository id from a local path.
func (e *emitter) isHubID(s string) bool {
	if !hubID.MatchString(s) || strings.Contains(s, "..") || fileExts[strings.ToLower(path.Ext(s))] {
		return false
	}
	if !strings.Contains(s, "/") && !strings.ContainsAny(s, "-0123456789") {
		return false // "model", "checkpoints": a local directory name, not a canonical hub id
	}
	if e.exists != nil && (e.exists(s) || e.exists(path.Join(path.Dir(e.path), s))) {
		return false
	}
	return true
}

// frameworkOf names the loading library from the callee.
func frameworkOf(c *call) string {
	m := c.name
	switch {
	case strings.HasPrefix(m, "transformers.TF") || strings.HasPrefix(m, "transformers.Flax"):
		return "transformers"
	case strings.HasPrefix(m, "transformers."):
		return "transformers"
	case strings.HasPrefix(m, "diffusers."):
		return "diffusers"
	case strings.HasPrefix(m, "sentence_transformers."):
		return "sentence-transformers"
	case strings.HasPrefix(m, "peft."):
		return "peft"
	case strings.HasPrefix(m, "vllm."):
		return "vllm"
	case strings.HasPrefix(m, "llama_cpp."):
		return "llama.cpp"
	case strings.HasPrefix(m, "optimum."):
		return "optimum"
	case strings.HasPrefix(m, "@huggingface/transformers") || strings.HasPrefix(m, "@xenova/transformers"):
		return "transformers.js"
	}
	return ""
}

// hubLoads handles every load-by-name; it reports whether the call was one.
func (e *emitter) hubLoads(c *call, f *fileFacts) bool {
	last := c.last()
	switch {
	case last == "from_pretrained":
		idx, keys := 0, []string{"pretrained_model_name_or_path", "repo_id", "model_id", "model_name_or_path"}
		if strings.Contains(c.name, "Peft") || strings.HasSuffix(c.name, "LoraModel.from_pretrained") {
			idx, keys = 1, []string{"model_id"}
		}
		id, ok := c.arg(idx, keys...)
		if !ok || !id.isString() {
			return true
		}
		ml := &core.ModelInfo{Framework: frameworkOf(c)}
		cls := strings.TrimSuffix(c.name, ".from_pretrained")
		if i := strings.LastIndexByte(cls, '.'); i >= 0 {
			cls = cls[i+1:]
		}
		if cls != "" && !strings.HasPrefix(cls, "Auto") && !strings.HasPrefix(cls, "TFAuto") && strings.Contains(cls, "For") {
			ml.Architecture = cls
		}
		props := map[string]string{}
		if fn, ok := c.kw["filename"]; ok && fn.isString() {
			props[PropFile] = fn.str
		}
		e.hubRef(c, core.KindModel, id.str, ml, props)
		return true
	case e.is(c, "transformers", "pipeline") || strings.HasSuffix(c.name, "transformers.pipeline") || (last == "pipeline" && !c.resolved && f.imported("transformers")):
		task, _ := c.arg(0, "task")
		m, ok := c.arg(1, "model")
		if !ok || !m.isString() {
			return true
		}
		ml := &core.ModelInfo{Framework: frameworkOf(c)}
		if ml.Framework == "" {
			ml.Framework = "transformers"
		}
		if task.isString() {
			ml.Task = task.str
		}
		e.hubRef(c, core.KindModel, m.str, ml, nil)
		return true
	case last == "hf_hub_download" || last == "snapshot_download" || last == "hf_hub_url":
		if c.resolved && !strings.HasPrefix(c.name, "huggingface_hub.") {
			return false
		}
		id, ok := c.arg(0, "repo_id")
		if !ok || !id.isString() {
			return true
		}
		kind := core.KindModel
		props := map[string]string{}
		if rt, ok := c.kw["repo_type"]; ok && rt.isString() {
			switch rt.str {
			case "dataset":
				kind = core.KindDataset
			case "space":
				props[PropRepoType] = "space"
			}
		}
		if fn, ok := c.arg(1, "filename"); ok && fn.isString() && last != "snapshot_download" {
			props[PropFile] = fn.str
		}
		e.hubRef(c, kind, id.str, &core.ModelInfo{}, props)
		return true
	case last == "load_dataset" && (e.is(c, "datasets", "load_dataset") || !c.resolved):
		p, ok := c.arg(0, "path")
		if !ok || !p.isString() {
			return true
		}
		if packagedBuilders[p.str] {
			if df, ok := c.kw["data_files"]; ok && df.isString() && isRemoteURL(df.str) {
				e.urlDataset(c, df.str, p.str)
			}
			return true
		}
		e.hubRef(c, core.KindDataset, p.str, &core.ModelInfo{}, map[string]string{PropLibrary: "datasets"})
		return true
	case (last == "SentenceTransformer" || last == "CrossEncoder" || last == "SparseEncoder") && (!c.resolved || strings.HasPrefix(c.name, "sentence_transformers.")):
		id, ok := c.arg(0, "model_name_or_path", "model_name")
		if !ok || !id.isString() {
			return true
		}
		name := id.str
		if last == "SentenceTransformer" && !strings.Contains(name, "/") && e.isHubID(name) {
			name = "sentence-transformers/" + name // the library's own namespace for bare names
		}
		e.hubRef(c, core.KindModel, name, &core.ModelInfo{Framework: "sentence-transformers"}, nil)
		return true
	case c.name == "torch.hub.load" || c.raw == "torch.hub.load":
		e.torchHub(c)
		return true
	case (c.name == "timm.create_model" || c.raw == "timm.create_model"):
		if v, ok := c.kw["pretrained"]; !ok || v.kind != vTrue {
			return true
		}
		id, ok := c.arg(0, "model_name")
		if !ok || !id.isString() {
			return true
		}
		ml := &core.ModelInfo{Framework: "timm"}
		if rest, ok := cutAnyPrefix(id.str, "hf-hub:", "hf_hub:"); ok {
			e.hubRef(c, core.KindModel, rest, ml, nil)
			return true
		}
		// timm's pretrained tags are published as timm/<arch>[.<tag>]; there is
		// no revision parameter, so no pinning finding.
		e.addModel(c, "timm/"+id.str, "", ml, map[string]string{PropLibrary: "timm"})
		return true
	case (c.name == "vllm.LLM" || strings.HasPrefix(c.name, "vllm.") && strings.HasSuffix(c.name, "EngineArgs")):
		id, ok := c.arg(0, "model")
		if !ok || !id.isString() {
			return true
		}
		e.hubRef(c, core.KindModel, id.str, &core.ModelInfo{Framework: "vllm"}, nil)
		return true
	case e.ollamaCall(c):
		return true
	}
	return false
}

func cutAnyPrefix(s string, ps ...string) (string, bool) {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return s[len(p):], true
		}
	}
	return s, false
}

// is reports whether c calls mod.fn (resolved) or a bare fn imported from mod.
func (e *emitter) is(c *call, mod, fn string) bool {
	return c.resolved && c.name == mod+"."+fn
}

var packagedBuilders = map[string]bool{"csv": true, "json": true, "parquet": true, "text": true, "arrow": true,
	"imagefolder": true, "audiofolder": true, "videofolder": true, "webdataset": true, "pandas": true, "sql": true,
	"generator": true, "xml": true, "pdffolder": true}

// hubRef records a hub model/dataset referenced by name and checks its pin.
func (e *emitter) hubRef(c *call, kind core.ComponentKind, id string, ml *core.ModelInfo, props map[string]string) {
	id = strings.TrimPrefix(strings.TrimPrefix(id, "hf://"), "https://huggingface.co/")
	if kind == core.KindDataset {
		id = strings.TrimPrefix(id, "datasets/")
	}
	if !e.isHubID(id) {
		return
	}
	rev := ""
	revVal, hasRev := c.kw["revision"]
	if hasRev && revVal.isString() {
		rev = revVal.str
	}
	ml.Source = "hub"
	ml.Revision = rev
	comp := hubComponent(kind, id, rev, ml, props, c.loc)
	e.comps = append(e.comps, comp)
	if hasRev && !revVal.isString() {
		return // revision from a variable: pinned elsewhere, not ours to judge
	}
	if !pinned(rev) {
		what := "model"
		if kind == core.KindDataset {
			what = "dataset"
		}
		msg := fmt.Sprintf("hub %s %s is loaded without revision=: it resolves to whatever the default branch points at when the code runs", what, id)
		if rev != "" {
			msg = fmt.Sprintf("hub %s %s is loaded at revision %q, a branch or tag that can be moved; pin the commit sha", what, id, rev)
		}
		e.finding(RuleUnpinnedRevision, c, msg, c.text, comp.ID())
	}
}

func hubComponent(kind core.ComponentKind, id, rev string, ml *core.ModelInfo, props map[string]string, loc core.Location) core.Component {
	ns, name := "", id
	if i := strings.IndexByte(id, '/'); i >= 0 {
		ns, name = id[:i], id[i+1:]
	}
	comp := core.Component{Kind: kind, Name: id, Version: rev, Ecosystem: core.EcosystemHuggingFace, Direct: true,
		Locations: []core.Location{loc}, ML: ml}
	if kind == core.KindModel {
		comp.PURL = packageurl.NewPackageURL("huggingface", ns, name, rev, nil, "").ToString()
	} else {
		// The huggingface purl type names models; datasets live under the
		// "datasets" namespace prefix on the hub.
		comp.PURL = packageurl.NewPackageURL("huggingface", path.Join("datasets", ns), name, rev, nil, "").ToString()
	}
	if len(props) > 0 {
		comp.Properties = props
	}
	return comp
}

// addModel records a model known by name that has no revision to pin.
func (e *emitter) addModel(c *call, id, ecosystem string, ml *core.ModelInfo, props map[string]string) {
	if ecosystem == "" {
		ecosystem = core.EcosystemHuggingFace
	}
	ml.Source = "hub"
	comp := core.Component{Kind: core.KindModel, Name: id, Ecosystem: ecosystem, Direct: true, Locations: []core.Location{c.loc}, ML: ml}
	if ecosystem == core.EcosystemHuggingFace {
		ns, name := "", id
		if i := strings.IndexByte(id, '/'); i >= 0 {
			ns, name = id[:i], id[i+1:]
		}
		comp.PURL = packageurl.NewPackageURL("huggingface", ns, name, "", nil, "").ToString()
	}
	if len(props) > 0 {
		comp.Properties = props
	}
	e.comps = append(e.comps, comp)
}

// torchHub: torch.hub.load("owner/repo[:ref]", "entrypoint") imports
// hubconf.py from GitHub at that ref.
func (e *emitter) torchHub(c *call) {
	repo, ok := c.arg(0, "repo_or_dir")
	if !ok || !repo.isString() {
		return
	}
	if src, ok := c.kw["source"]; ok && src.isString() && src.str == "local" {
		return
	}
	r, ref, _ := strings.Cut(repo.str, ":")
	if strings.Count(r, "/") != 1 || !hubID.MatchString(r) {
		return
	}
	entry, _ := c.arg(1, "model")
	owner, name, _ := strings.Cut(r, "/")
	comp := core.Component{Kind: core.KindModel, Name: r, Version: ref, Ecosystem: EcosystemPyTorchHub, Direct: true,
		Locations: []core.Location{c.loc}, ML: &core.ModelInfo{Source: "hub", Revision: ref, Framework: "pytorch"},
		PURL: packageurl.NewPackageURL("github", owner, name, ref, nil, "").ToString()}
	if entry.isString() {
		comp.Properties = map[string]string{"entrypoint": entry.str}
	}
	e.comps = append(e.comps, comp)
	if !pinned(ref) {
		msg := fmt.Sprintf("torch.hub.load runs hubconf.py from GitHub repository %s at its default branch", r)
		if ref != "" {
			msg = fmt.Sprintf("torch.hub.load runs hubconf.py from GitHub repository %s at %q, a branch or tag that can be moved", r, ref)
		}
		e.finding(RuleUnpinnedRevision, c, msg, c.text, comp.ID())
	}
}

// ---- ollama (local model names) ----

var ollamaFuncs = map[string]bool{"chat": true, "generate": true, "pull": true, "embeddings": true, "embed": true, "show": true, "create": true, "push": true}

var ollamaClasses = map[string]bool{"ChatOllama": true, "OllamaLLM": true, "OllamaEmbeddings": true, "Ollama": true, "OllamaEmbedding": true}

func (e *emitter) ollamaCall(c *call) bool {
	isOllama := false
	switch {
	case c.resolved && (strings.HasPrefix(c.name, "ollama.") || c.name == "ollama") && ollamaFuncs[c.last()]:
		isOllama = true
	case e.receiver(c) == "ollama" && ollamaFuncs[c.last()]:
		isOllama = true
	case c.resolved && ollamaClasses[c.last()] && (strings.Contains(c.name, "ollama") || strings.HasPrefix(c.name, "langchain") || strings.HasPrefix(c.name, "@langchain")):
		isOllama = true
	}
	if !isOllama {
		return false
	}
	m, ok := c.arg(0, "model")
	if ollamaClasses[c.last()] {
		m, ok = c.arg(-1, "model")
	}
	if !ok || !m.isString() || m.str == "" || strings.ContainsAny(m.str, " \t\n") {
		return true
	}
	e.addModel(c, m.str, EcosystemOllama, &core.ModelInfo{Framework: "ollama"}, nil)
	return true
}

// ---- remote data reads ----

var remoteReaders = map[string]string{"read_csv": "csv", "read_json": "json", "read_parquet": "parquet", "read_excel": "excel",
	"read_table": "csv", "read_feather": "feather", "read_orc": "orc", "read_xml": "xml", "scan_parquet": "parquet",
	"scan_csv": "csv", "read_ndjson": "jsonl", "scan_ndjson": "jsonl"}

func (e *emitter) remoteData(c *call) {
	format, ok := remoteReaders[c.last()]
	if !ok {
		return
	}
	mod := c.module()
	if !c.resolved {
		mod = strings.TrimSuffix(c.raw, "."+c.last())
	}
	switch mod {
	case "pandas", "pd", "polars", "pl", "dask.dataframe", "dd", "modin.pandas":
	default:
		return
	}
	a, ok := c.arg(0, "filepath_or_buffer", "path", "source", "path_or_buf", "io")
	if !ok || !a.isString() || !isRemoteURL(a.str) {
		return
	}
	if rest, ok := strings.CutPrefix(a.str, "hf://datasets/"); ok {
		// hf://datasets/org/name[@rev]/file
		parts := strings.SplitN(rest, "/", 3)
		if len(parts) >= 2 {
			name, rev, _ := strings.Cut(parts[1], "@")
			id := parts[0] + "/" + name
			c2 := *c
			c2.kw = map[string]value{}
			if rev != "" {
				c2.kw["revision"] = value{kind: vString, str: rev}
			}
			e.hubRef(&c2, core.KindDataset, id, &core.ModelInfo{Format: format}, nil)
			return
		}
	}
	e.urlDataset(c, a.str, format)
}

func (e *emitter) urlDataset(c *call, raw, format string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return
	}
	u.User = nil // never copy credentials into a BOM
	u.RawQuery, u.Fragment = "", ""
	clean := u.String()
	e.comps = append(e.comps, core.Component{Kind: core.KindDataset, Name: clean, Direct: true, Locations: []core.Location{c.loc},
		ML: &core.ModelInfo{Source: "url", URL: clean, Format: format}})
}

// ---- LLM services ----

// providerModules maps import paths to provider names (longest prefix wins).
var providerModules = map[string]string{
	"openai": "openai", "anthropic": "anthropic", "google.genai": "google-genai", "google.generativeai": "google-genai",
	"vertexai": "vertexai", "google.cloud.aiplatform": "vertexai", "mistralai": "mistral", "cohere": "cohere",
	"litellm": "litellm", "groq": "groq", "together": "together",
	"langchain_openai": "openai", "langchain_anthropic": "anthropic", "langchain_google_genai": "google-genai",
	"langchain_google_vertexai": "vertexai", "langchain_aws": "bedrock", "langchain_mistralai": "mistral",
	"langchain_cohere": "cohere", "langchain_groq": "groq", "langchain_litellm": "litellm",
	"llama_index.llms.openai": "openai", "llama_index.llms.azure_openai": "azure-openai", "llama_index.llms.anthropic": "anthropic",
	"llama_index.llms.gemini": "google-genai", "llama_index.llms.google_genai": "google-genai", "llama_index.llms.vertex": "vertexai",
	"llama_index.llms.bedrock": "bedrock", "llama_index.llms.bedrock_converse": "bedrock", "llama_index.llms.mistralai": "mistral",
	"llama_index.llms.cohere": "cohere", "llama_index.llms.litellm": "litellm", "llama_index.embeddings.openai": "openai",
	"llama_index.embeddings.azure_openai": "azure-openai", "llama_index.embeddings.cohere": "cohere",
	// JavaScript / TypeScript
	"@anthropic-ai/sdk": "anthropic", "@google/generative-ai": "google-genai", "@google/genai": "google-genai",
	"@google-cloud/vertexai": "vertexai", "@aws-sdk/client-bedrock-runtime": "bedrock", "@mistralai/mistralai": "mistral",
	"cohere-ai": "cohere", "@ai-sdk/openai": "openai", "@ai-sdk/anthropic": "anthropic", "@ai-sdk/google": "google-genai",
	"@ai-sdk/google-vertex": "vertexai", "@ai-sdk/amazon-bedrock": "bedrock", "@ai-sdk/azure": "azure-openai",
	"@ai-sdk/mistral": "mistral", "@ai-sdk/cohere": "cohere", "@langchain/openai": "openai", "@langchain/anthropic": "anthropic",
	"@langchain/google-genai": "google-genai", "@langchain/google-vertexai": "vertexai", "@langchain/aws": "bedrock",
	"@langchain/mistralai": "mistral", "@langchain/cohere": "cohere",
}

// classProviders names providers by class for umbrella packages
// (langchain_community, langchain.chat_models, llama_index.llms …).
var classProviders = map[string]string{
	"ChatOpenAI": "openai", "OpenAIEmbeddings": "openai", "AzureChatOpenAI": "azure-openai", "AzureOpenAI": "azure-openai",
	"AsyncAzureOpenAI": "azure-openai", "AzureOpenAIEmbeddings": "azure-openai", "ChatAnthropic": "anthropic",
	"ChatGoogleGenerativeAI": "google-genai", "ChatVertexAI": "vertexai", "VertexAI": "vertexai", "ChatBedrock": "bedrock",
	"ChatBedrockConverse": "bedrock", "BedrockLLM": "bedrock", "BedrockEmbeddings": "bedrock", "ChatMistralAI": "mistral",
	"ChatCohere": "cohere", "CohereEmbeddings": "cohere", "ChatLiteLLM": "litellm", "ChatGroq": "groq",
}

var umbrellaModules = []string{"langchain", "langchain_community", "langchain_core", "llama_index", "@langchain/community", "langchain/"}

// moduleProvider names the provider a resolved call belongs to ("" none).
func (e *emitter) moduleProvider(c *call) string {
	if !c.resolved {
		return ""
	}
	name := c.name
	// boto3.client("bedrock-runtime") and friends.
	if strings.HasPrefix(name, "boto3") && c.last() == "client" {
		if a, ok := c.arg(0, "service_name"); ok && a.isString() && strings.HasPrefix(a.str, "bedrock") {
			return "bedrock"
		}
		return ""
	}
	if p, ok := classProviders[c.last()]; ok {
		return p
	}
	if ollamaClasses[c.last()] && strings.Contains(name, "ollama") {
		return ""
	}
	if strings.HasPrefix(name, "ollama.") && (c.last() == "Client" || c.last() == "AsyncClient") {
		return "ollama"
	}
	best, bestLen := "", 0
	for m, p := range providerModules {
		if len(m) > bestLen && (name == m || strings.HasPrefix(name, m+".") || strings.HasPrefix(name, m+"(")) {
			best, bestLen = p, len(m)
		}
	}
	if best == "openai" && strings.Contains(c.last(), "Azure") {
		return "azure-openai"
	}
	for _, u := range umbrellaModules {
		if best == "" && strings.HasPrefix(name, u) {
			return ""
		}
	}
	return best
}

// receiver returns the provider bound to the callee's receiver variable.
func (e *emitter) receiver(c *call) string {
	raw := c.raw
	for {
		if p, ok := e.bound[raw]; ok {
			return p
		}
		i := strings.LastIndexByte(raw, '.')
		if i < 0 {
			return ""
		}
		raw = strings.TrimSuffix(raw[:i], "()")
	}
}

var modelKeys = []string{"model", "model_name", "modelId", "model_id", "deployment_name", "azure_deployment", "engine", "deployment_id", "modelName"}

var positionalModel = map[string]bool{"GenerativeModel": true, "completion": true, "acompletion": true, "embedding": true,
	"aembedding": true, "text_completion": true, "image_generation": true, "getGenerativeModel": false}

var endpointKeys = []string{"base_url", "baseURL", "azure_endpoint", "api_base", "endpoint", "openai_api_base", "endpoint_url", "host", "baseUrl"}

func (e *emitter) serviceCall(c *call) {
	p := e.moduleProvider(c)
	if p == "" {
		p = e.receiver(c)
	}
	if p == "" || p == "ollama" {
		return
	}
	model := ""
	if v, ok := c.arg(-1, modelKeys...); ok && v.isString() {
		model = v.str
	} else if len(c.args) > 0 && c.args[0].isString() && (positionalModel[c.last()] || strings.HasPrefix(c.name, "@ai-sdk/")) {
		model = c.args[0].str
	}
	if model != "" && !plausibleModelName(model) {
		model = ""
	}
	via := ""
	if p == "litellm" {
		via = "litellm"
		if model != "" {
			p = litellmProvider(model)
			if pfx, rest, ok := strings.Cut(model, "/"); ok && p != "litellm" && pfx != "" {
				model = rest // "anthropic/claude-3-opus" is claude-3-opus at anthropic
			}
		}
	}
	u := e.services[p]
	if u == nil {
		u = &serviceUse{models: map[string]bool{}, endpoints: map[string]bool{}, via: map[string]bool{}}
		e.services[p] = u
	}
	u.locs = append(u.locs, c.loc)
	if model != "" {
		u.models[model] = true
	}
	if via != "" {
		u.via[via] = true
	}
	if v, ok := c.arg(-1, endpointKeys...); ok && v.isString() {
		if ep := cleanEndpoint(v.str); ep != "" {
			u.endpoints[ep] = true
		}
	}
}

func plausibleModelName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ',' || c == '"' || c == '\'' {
			return false
		}
	}
	return true
}

// litellmProvider maps a litellm model string to the provider that serves it.
func litellmProvider(model string) string {
	if pfx, _, ok := strings.Cut(model, "/"); ok {
		switch pfx {
		case "azure", "azure_ai":
			return "azure-openai"
		case "gemini":
			return "google-genai"
		case "vertex_ai", "vertex_ai_beta":
			return "vertexai"
		case "bedrock", "bedrock_converse":
			return "bedrock"
		case "openai", "anthropic", "mistral", "cohere", "groq", "together_ai", "ollama", "huggingface", "openrouter", "deepseek":
			return strings.TrimSuffix(pfx, "_ai")
		}
		return "litellm"
	}
	switch {
	case strings.HasPrefix(model, "gpt-"), strings.HasPrefix(model, "o1"), strings.HasPrefix(model, "o3"), strings.HasPrefix(model, "o4"),
		strings.HasPrefix(model, "text-embedding-"), strings.HasPrefix(model, "dall-e"), strings.HasPrefix(model, "whisper"):
		return "openai"
	case strings.HasPrefix(model, "claude"):
		return "anthropic"
	case strings.HasPrefix(model, "gemini"):
		return "google-genai"
	case strings.HasPrefix(model, "mistral"), strings.HasPrefix(model, "mixtral"), strings.HasPrefix(model, "codestral"):
		return "mistral"
	case strings.HasPrefix(model, "command"):
		return "cohere"
	}
	return "litellm"
}

// cleanEndpoint keeps scheme://host[:port]/path of a base URL, never
// credentials or query strings.
func cleanEndpoint(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}
