package pickle

import (
	"strings"
	"sync"
	"unicode"
)

// Classify sorts an imported callable into Safe (data reconstruction:
// tensors, storages, numpy arrays, collections, estimator classes),
// Dangerous (runs code, commands, loads more code, touches the network or
// files) or Unknown (anything else). Names are matched on the module as
// written and on its Python 2 spelling.
func Classify(module, name string) (Class, string) {
	e := lookupClass(module, name)
	return e.c, e.why
}

type classKey struct{ m, n string }

// classEntry is a cached verdict with interned name strings.
type classEntry struct {
	mod, name, q string
	c            Class
	why          string
}

// The cache holds the (few, repeated) names real pickles import; bounded to
// 50,000 entries.
var (
	classMu  sync.RWMutex
	classMap = map[classKey]*classEntry{}
)

func lookupClass(module, name string) *classEntry {
	classMu.RLock()
	e := classMap[classKey{module, name}]
	classMu.RUnlock()
	if e != nil {
		return e
	}
	m, n := strings.Clone(module), strings.Clone(name)
	c, why := classify(m, n)
	e = &classEntry{mod: m, name: n, c: c, why: why, q: n}
	if m != "" {
		e.q = m + "." + n
	}
	if len(m)+len(n) < 256 {
		classMu.Lock()
		if len(classMap) < 50_000 {
			classMap[classKey{m, n}] = e
		}
		classMu.Unlock()
	}
	return e
}

func classify(module, name string) (Class, string) {
	mod := normModule(module)
	full := mod + "." + name
	// Dunder tricks anywhere in the path (__builtins__, __globals__,
	// __subclasses__, __import__ ...) reach interpreter internals.
	if d := dunderIn(mod, name); d != "" {
		return Dangerous, "reaches interpreter internals through " + d
	}
	if why, ok := dangerousExact[full]; ok {
		return Dangerous, why
	}
	// Dangerous module families: the module itself or any submodule.
	for m := mod; m != ""; m = parent(m) {
		if why, ok := dangerousModules[m]; ok {
			return Dangerous, why
		}
	}
	if mod == "builtins" {
		if safeBuiltins[name] {
			return Safe, ""
		}
		return Dangerous, "builtins." + name + " is not a plain data type (eval/exec/open/getattr/__import__ family)"
	}
	if why := dangerousByName(mod, name); why != "" {
		return Dangerous, why
	}
	if safeExact[full] {
		return Safe, ""
	}
	if strings.Contains(name, ".") {
		// A dotted name is an attribute walk from the module (getattr
		// chain); never assume it is harmless.
		return Unknown, "attribute chain " + name + " inside " + mod
	}
	for m := mod; m != ""; m = parent(m) {
		if safeModules[m] {
			return Safe, ""
		}
	}
	for m := mod; m != ""; m = parent(m) {
		if classModules[m] && isClassName(name) {
			return Safe, ""
		}
	}
	if (mod == "numpy" || mod == "numpy.core.numerictypes") && numpyScalar[strings.TrimRight(name, "0123456789")] {
		return Safe, ""
	}
	if (mod == "torch" || strings.HasPrefix(mod, "torch.")) && strings.HasSuffix(name, "Storage") && isClassName(name) {
		return Safe, ""
	}
	return Unknown, "not on the known-safe list"
}

func parent(m string) string {
	if i := strings.LastIndexByte(m, '.'); i >= 0 {
		return m[:i]
	}
	return ""
}

func isClassName(n string) bool {
	for _, r := range n {
		return unicode.IsUpper(r)
	}
	return false
}

// py2 module spellings (pickle's fix_imports map) and aliases.
var moduleAliases = map[string]string{
	"__builtin__":              "builtins",
	"__builtins__":             "builtins",
	"copy_reg":                 "copyreg",
	"cPickle":                  "pickle",
	"_pickle":                  "pickle",
	"commands":                 "subprocess",
	"popen2":                   "subprocess",
	"_operator":                "operator",
	"_functools":               "functools",
	"_io":                      "io",
	"_posixsubprocess":         "subprocess",
	"posixpath":                "os.path",
	"ntpath":                   "os.path",
	"sklearn.externals.joblib": "joblib",
	"numpy._core":              "numpy.core",
}

func normModule(m string) string {
	m = strings.TrimSpace(m)
	if a, ok := moduleAliases[m]; ok {
		return a
	}
	for from, to := range moduleAliases {
		if strings.HasPrefix(m, from+".") {
			return to + m[len(from):]
		}
	}
	return m
}

var okDunders = map[string]bool{
	"__main__": true, "__newobj__": true, "__newobj_ex__": true,
}

func dunderIn(mod, name string) string {
	for _, part := range append(strings.Split(mod, "."), strings.Split(name, ".")...) {
		if len(part) > 4 && strings.HasPrefix(part, "__") && strings.HasSuffix(part, "__") && !okDunders[part] {
			return part
		}
	}
	return ""
}

const (
	whyExec    = "executes code or shell commands"
	whyLoad    = "loads and runs another serialized object (nested pickle/model load)"
	whyImport  = "imports modules by name at load time"
	whyNet     = "opens network connections or downloads"
	whyFile    = "reads, writes or deletes files"
	whyAttr    = "calls or reaches an attribute chosen by the pickle (getattr/operator/functools trick)"
	whyNative  = "loads native code"
	whyProcess = "controls the interpreter or processes"
)

// dangerousModules: every callable in these modules (and their submodules)
// is dangerous.
var dangerousModules = map[string]string{
	"os": whyExec, "posix": whyExec, "nt": whyExec, "subprocess": whyExec, "pty": whyExec,
	"pexpect": whyExec, "sh": whyExec, "plumbum": whyExec, "platform": whyExec, "pipes": whyExec,
	"asyncio": whyExec, "multiprocessing": whyExec, "concurrent": whyExec, "threading": whyProcess,
	"_thread": whyProcess, "signal": whyProcess, "sys": whyProcess, "gc": whyProcess, "atexit": whyProcess,
	"code": whyExec, "codeop": whyExec, "runpy": whyExec, "timeit": whyExec, "cProfile": whyExec,
	"profile": whyExec, "trace": whyExec, "pdb": whyExec, "bdb": whyExec, "doctest": whyExec,
	"pydoc": whyExec, "idlelib": whyExec, "lib2to3": whyExec, "compileall": whyExec, "py_compile": whyExec,
	"marshal": whyExec, "types": whyExec, "inspect": whyExec, "ast": whyExec, "dis": whyExec,
	"importlib": whyImport, "imp": whyImport, "pkgutil": whyImport, "zipimport": whyImport,
	"site": whyImport, "sitecustomize": whyImport, "ctypes": whyNative, "_ctypes": whyNative, "cffi": whyNative,
	"pickle": whyLoad, "dill": whyLoad, "cloudpickle": whyLoad, "shelve": whyLoad, "jsonpickle": whyLoad,
	"yaml": whyLoad, "ruamel": whyLoad, "torch.hub": whyNet,
	"socket": whyNet, "_socket": whyNet, "ssl": whyNet, "socketserver": whyNet, "http": whyNet,
	"urllib": whyNet, "urllib2": whyNet, "urllib3": whyNet, "httplib": whyNet, "requests": whyNet,
	"httpx": whyNet, "aiohttp": whyNet, "ftplib": whyNet, "smtplib": whyNet, "telnetlib": whyNet,
	"poplib": whyNet, "imaplib": whyNet, "nntplib": whyNet, "xmlrpc": whyNet, "webbrowser": whyNet,
	"paramiko": whyNet, "shutil": whyFile, "tempfile": whyFile, "glob": whyFile, "fileinput": whyFile,
	"zipfile": whyFile, "tarfile": whyFile,
	"distutils": whyExec, "setuptools": whyExec, "pip": whyExec, "ensurepip": whyExec, "venv": whyExec,
	"operator": whyAttr, "functools": whyAttr, "mlflow": whyLoad + " (mlflow loaders and process helpers run code)",
	"torch.jit": whyExec, "torch.package": whyLoad, "torch.utils.cpp_extension": whyNative,
	"torch._inductor": whyExec, "torch._dynamo": whyExec, "torch.fx": whyExec, "torch.distributed": whyNet,
	"torch.utils.collect_env": whyExec, "torch.testing": whyExec, "torch._C": whyNative, "torch.ops": whyNative,
	"torch.classes": whyNative, "torch.library": whyNative, "torch.backends": whyProcess,
	"numpy.f2py": whyExec, "numpy.distutils": whyExec, "numpy.testing": whyExec, "numpy.ctypeslib": whyNative,
	"pandas.io":               whyLoad + " (pandas readers fetch and parse files/URLs, incl. pickles)",
	"pandas.core.computation": whyExec, "keras.models": whyLoad,
	"tensorflow.io": whyFile, "tensorflow.keras.models": whyLoad, "transformers.pipelines": whyLoad,
	"huggingface_hub": whyNet, "IPython": whyExec, "jinja2": whyExec, "mako": whyExec,
}

// dangerousExact: single callables in otherwise unlisted modules.
var dangerousExact = map[string]string{
	"torch.load": whyLoad, "torch.serialization.load": whyLoad, "torch.serialization._load": whyLoad,
	"torch.storage._load_from_bytes": whyLoad, "torch.hub.load": whyNet, "torch.save": whyFile,
	"torch.compile": whyExec, "torch.from_file": whyFile,
	"numpy.load": whyLoad, "numpy.lib.npyio.load": whyLoad, "numpy.loadtxt": whyFile, "numpy.genfromtxt": whyFile,
	"numpy.fromfile": whyFile, "numpy.memmap": whyFile, "numpy.save": whyFile, "numpy.savetxt": whyFile,
	"numpy.tofile": whyFile, "numpy.lib.utils.source": whyExec, "numpy.core.numeric.load": whyLoad,
	"numpy.core.numeric.loads": whyLoad, "numpy.core.multiarray.fromfile": whyFile,
	"pandas.read_pickle": whyLoad, "pandas.read_csv": whyFile, "pandas.read_json": whyFile,
	"pandas.read_html": whyNet, "pandas.read_sql": whyNet, "pandas.read_parquet": whyFile,
	"pandas.read_excel": whyFile, "pandas.eval": whyExec, "pandas.core.frame.DataFrame.query": whyExec,
	"pandas.core.frame.DataFrame.eval": whyExec, "pandas.DataFrame.eval": whyExec, "pandas.DataFrame.query": whyExec,
	"pandas.core.frame.DataFrame.to_pickle": whyFile, "pandas.core.generic.NDFrame.to_pickle": whyFile,
	"joblib.load": whyLoad, "joblib.numpy_pickle.load": whyLoad, "joblib.dump": whyFile,
	"sklearn.externals.joblib.load": whyLoad, "io.open": whyFile, "io.FileIO": whyFile, "io.open_code": whyExec,
	"codecs.open": whyFile, "pathlib.Path.write_text": whyFile, "pathlib.Path.write_bytes": whyFile,
	"pathlib.Path.unlink": whyFile, "pathlib.Path.read_text": whyFile, "pathlib.Path.open": whyFile,
	"keras.models.load_model": whyLoad, "tensorflow.keras.models.load_model": whyLoad,
	"keras.saving.load_model": whyLoad, "tensorflow.saved_model.load": whyLoad,
	"transformers.AutoModel.from_pretrained": whyNet, "transformers.pipeline": whyLoad,
	"logging.config.listen": whyExec, "logging.config.fileConfig": whyExec, "logging.config.dictConfig": whyExec,
	"linecache.getline": whyFile, "linecache.updatecache": whyFile,
	"collections.namedtuple": whyExec, "dataclasses.make_dataclass": whyExec, "string.Formatter": whyAttr,
	"copyreg.add_extension": whyImport, "copyreg._reconstructor.__self__": whyAttr,
	"scipy.io.loadmat": whyFile, "scipy.io.savemat": whyFile, "h5py.File": whyFile,
	"unittest.mock.patch": whyAttr,
}

// dangerousByName flags callables whose name alone gives them away in any
// module (e.g. a library's own exec/system/popen helpers).
func dangerousByName(mod, name string) string {
	last := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		last = name[i+1:]
	}
	switch last {
	case "system", "popen", "Popen", "exec", "eval", "execfile", "spawn", "spawnl", "spawnv", "call",
		"check_call", "check_output", "run_path", "run_module", "getoutput", "getstatusoutput",
		"execv", "execve", "execl", "execvp", "startfile", "load_source", "import_module", "__import__":
		if last == "call" && mod != "subprocess" && !strings.Contains(mod, "process") {
			return ""
		}
		return "callable named " + last + " " + whyExec
	}
	if strings.HasPrefix(last, "_exec") || strings.HasPrefix(last, "exec_") {
		return "callable named " + last + " " + whyExec
	}
	return ""
}

// safeBuiltins are plain data constructors.
var safeBuiltins = map[string]bool{
	"set": true, "frozenset": true, "list": true, "dict": true, "tuple": true, "bytearray": true,
	"bytes": true, "str": true, "int": true, "float": true, "complex": true, "bool": true,
	"slice": true, "range": true, "object": true, "NoneType": true, "Ellipsis": true, "NotImplemented": true,
	"unicode": true, "long": true, "reversed": false,
}

// safeExact are data-reconstruction callables of well-known libraries.
var safeExact = map[string]bool{
	"collections.OrderedDict": true, "collections.defaultdict": true, "collections.deque": true,
	"collections.Counter": true, "collections.ChainMap": true, "copyreg._reconstructor": true,
	"copyreg.__newobj__": true, "copyreg.__newobj_ex__": true, "_codecs.encode": true, "codecs.encode": true,
	"datetime.datetime": true, "datetime.date": true, "datetime.time": true, "datetime.timedelta": true,
	"datetime.timezone": true, "decimal.Decimal": true, "fractions.Fraction": true, "uuid.UUID": true,
	"re._compile": true, "enum.Enum": true, "array.array": true, "array._array_reconstructor": true,
	"pathlib.PosixPath": true, "pathlib.WindowsPath": true, "pathlib.PurePosixPath": true,
	"pathlib.PureWindowsPath": true, "pathlib.Path": true, "argparse.Namespace": true, "types.SimpleNamespace": false,
	"torch._utils._rebuild_tensor": true, "torch._utils._rebuild_tensor_v2": true, "torch._utils._rebuild_tensor_v3": true,
	"torch._utils._rebuild_parameter": true, "torch._utils._rebuild_parameter_with_state": true,
	"torch._utils._rebuild_qtensor": true, "torch._utils._rebuild_sparse_tensor": true,
	"torch._utils._rebuild_sparse_csr_tensor": true, "torch._utils._rebuild_nested_tensor": true,
	"torch._utils._rebuild_device_tensor_from_numpy": true, "torch._utils._rebuild_meta_tensor_no_storage": true,
	"torch._utils._rebuild_wrapper_subclass": true, "torch._utils._rebuild_xla_tensor": true,
	"torch._utils._rebuild_mps_tensor": true, "torch._tensor._rebuild_from_type": true,
	"torch._tensor._rebuild_from_type_v2": true, "torch.Size": true, "torch.device": true, "torch.dtype": true,
	"torch.Tensor": true, "torch.nn.parameter.Parameter": true, "torch.nn.parameter.UninitializedParameter": true,
	"torch.nn.parameter.Buffer": true, "torch.storage.UntypedStorage": true, "torch.storage.TypedStorage": true,
	"torch.UntypedStorage": true, "torch.TypedStorage": true, "torch.float32": true, "torch.float16": true,
	"torch.bfloat16": true, "torch.float64": true, "torch.int64": true, "torch.int32": true, "torch.int16": true,
	"torch.int8": true, "torch.uint8": true, "torch.bool": true, "torch.complex64": true, "torch.complex128": true,
	"torch.float8_e4m3fn": true, "torch.float8_e5m2": true, "torch.strided": true, "torch.sparse_coo": true,
	"torch.contiguous_format": true, "torch.channels_last": true, "torch.preserve_format": true,
	"torch.per_tensor_affine": true, "torch.per_channel_affine": true, "torch.quint8": true, "torch.qint8": true,
	"torch.qint32": true, "torch.layout": true, "torch.memory_format": true, "torch.finfo": true, "torch.iinfo": true,
	"torch.nn.modules.container.ModuleList": true, "torch.nn.modules.container.ModuleDict": true,
	"torch.nn.modules.container.Sequential": true, "torch.nn.modules.container.ParameterList": true,
	"torch.nn.modules.container.ParameterDict": true, "torch.serialization._get_layout": true,
	"torch._utils._rebuild_tensor_from_numpy": true, "torch.distributions.constraints._Real": true,
	"numpy.core.multiarray._reconstruct": true, "numpy.core.multiarray.scalar": true,
	"numpy.core.numeric._frombuffer": true, "numpy.ndarray": true, "numpy.dtype": true, "numpy.matrix": true,
	"numpy.ma.core._mareconstruct": true, "numpy.ma.core.MaskedArray": true, "numpy.random._pickle.__randomstate_ctor": true,
	"numpy.random._pickle.__bit_generator_ctor": true, "numpy.random._pickle.__generator_ctor": true,
	"numpy.random.mtrand.RandomState": true, "numpy.random.mtrand._rand": false, "numpy.random._mt19937.MT19937": true,
	"numpy.random._pcg64.PCG64": true, "numpy.random._generator.Generator": true,
	"numpy.random.bit_generator.SeedSequence": true, "numpy.random._pickle.__bit_generator_ctor_": true,
	"scipy.sparse._csr.csr_matrix": true, "scipy.sparse.csr.csr_matrix": true, "scipy.sparse._csc.csc_matrix": true,
	"scipy.sparse.csc.csc_matrix": true, "scipy.sparse._coo.coo_matrix": true, "scipy.sparse._csr.csr_array": true,
	"pandas.core.internals.managers.BlockManager": true, "pandas.core.internals.managers.SingleBlockManager": true,
	"pandas._libs.internals._unpickle_block": true, "pandas.core.indexes.base._new_Index": true,
	"pandas.core.internals.blocks.new_block": true, "pandas._libs.tslibs.timestamps._unpickle_timestamp": true,
	"pandas._libs.tslibs.timedeltas._timedelta_unpickle": true, "pandas.core.arrays.categorical._unpickle_categorical": true,
	"pandas.core.internals.blocks._extend_blocks": false, "pandas._libs.sparse.BlockIndex": true,
	"pandas._libs.sparse.IntIndex": true, "pandas.core.frame.DataFrame": true, "pandas.core.series.Series": true,
	"sklearn.tree._tree.Tree": true, "sklearn.utils._bunch.Bunch": true, "sklearn.utils.Bunch": true,
	"sklearn.neighbors._kd_tree.newObj": true, "sklearn.neighbors._ball_tree.newObj": true,
	"sklearn.neighbors._kd_tree.KDTree": true, "sklearn.neighbors._ball_tree.BallTree": true,
	"sklearn._loss._loss.__pyx_unpickle_CyHalfBinomialLoss": true, "sklearn._loss._loss.__pyx_unpickle_CyHalfSquaredError": true,
	"xgboost.core.Booster": true, "lightgbm.basic.Booster": true, "joblib.numpy_pickle.NumpyArrayWrapper": true,
	"joblib.numpy_pickle_compat.NDArrayWrapper": true, "joblib.numpy_pickle_compat.ZNDArrayWrapper": true,
	"tokenizers.Tokenizer": true, "tokenizers.models.Model": true, "tokenizers.AddedToken": true,
	"transformers.tokenization_utils_base.BatchEncoding": true, "transformers.trainer_utils.IntervalStrategy": true,
	"transformers.trainer_utils.SchedulerType": true, "transformers.training_args.TrainingArguments": true,
	"transformers.training_args.OptimizerNames": true, "transformers.trainer_utils.HubStrategy": true,
	"transformers.trainer_utils.SaveStrategy": true, "transformers.debug_utils.DebugOption": true,
	"transformers.trainer_pt_utils.AcceleratorConfig": true, "accelerate.utils.dataclasses.DistributedType": true,
	"accelerate.state.PartialState": true, "__main__.Net": false,
}

// safeModules: every name in these modules is data (dtype/scalar classes).
var safeModules = map[string]bool{
	"numpy.core.numerictypes": false, "torch.nn.modules": true, "torch.optim": true, "torch.nn.utils.parametrize": false,
	"torch.nn.quantized": true, "torch.ao.nn": true, "torch.distributions": false,
}

// classModules: class-like names (Capitalised) in these modules are
// estimator/container classes whose construction runs no user code.
var classModules = map[string]bool{
	"sklearn": true, "scipy.sparse": true, "pandas.core": true, "pandas._libs": true, "xgboost": true,
	"lightgbm": true, "catboost": true, "numpy": true, "torch.nn": true, "torch.optim": true,
	"collections": true, "datetime": true, "enum": true, "tokenizers": true, "imblearn": true,
	"statsmodels": true, "category_encoders": true, "networkx.classes": true,
}

// numpyScalar are numpy scalar type names (digits stripped).
var numpyScalar = map[string]bool{
	"bool_": true, "bool": true, "float": true, "int": true, "uint": true, "complex": true, "str_": true,
	"bytes_": true, "object_": true, "datetime": true, "timedelta": true, "longlong": true, "ulonglong": true,
	"intc": true, "uintc": true, "half": true, "single": true, "double": true, "longdouble": true,
	"void": true, "generic": true, "number": true, "intp": true, "uintp": true, "float_": true, "int_": true,
	"unicode_": true, "string_": true, "clongdouble": true, "csingle": true, "cdouble": true,
}
