package modelscan

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// Keras configs are JSON. Legacy HDF5 files keep them in the root group's
// model_config attribute; Keras v3 .keras zips in config.json.
//
// HDF5: rather than a full HDF5 reader, the first HDF5Window bytes are
// searched for the attribute's JSON text. h5py writes the model_config
// attribute (and keras_version/backend) before any weights, so the JSON
// sits near the start of the file; attributes too large for the object
// header live in a fractal/global heap block that is still contiguous.
// A file whose config lies beyond the window is reported as an Error
// ("no model_config found in the first 32 MiB").

// kerasBuiltins are class names of Keras/TensorFlow built-in layers and
// models (Keras 2 configs carry no module field).
var kerasBuiltins = wordSet(`Sequential Functional Model InputLayer Dense Activation Dropout Flatten Reshape Permute
	RepeatVector ActivityRegularization Masking Embedding Conv1D Conv2D Conv3D Conv1DTranspose Conv2DTranspose Conv3DTranspose
	SeparableConv1D SeparableConv2D DepthwiseConv1D DepthwiseConv2D Cropping1D Cropping2D Cropping3D UpSampling1D UpSampling2D
	UpSampling3D ZeroPadding1D ZeroPadding2D ZeroPadding3D MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D
	AveragePooling2D AveragePooling3D GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D GlobalAveragePooling1D
	GlobalAveragePooling2D GlobalAveragePooling3D MaxPool1D MaxPool2D MaxPool3D AvgPool1D AvgPool2D AvgPool3D
	GlobalMaxPool1D GlobalMaxPool2D GlobalAvgPool1D GlobalAvgPool2D LocallyConnected1D LocallyConnected2D
	SimpleRNN GRU LSTM ConvLSTM1D ConvLSTM2D ConvLSTM3D RNN SimpleRNNCell GRUCell LSTMCell StackedRNNCells Bidirectional
	TimeDistributed CuDNNGRU CuDNNLSTM Add Subtract Multiply Average Maximum Minimum Concatenate Dot
	BatchNormalization LayerNormalization GroupNormalization UnitNormalization SyncBatchNormalization SpectralNormalization
	GaussianNoise GaussianDropout AlphaDropout SpatialDropout1D SpatialDropout2D SpatialDropout3D LeakyReLU PReLU ELU
	ThresholdedReLU Softmax ReLU Attention AdditiveAttention MultiHeadAttention GroupQueryAttention Rescaling Normalization
	Resizing CenterCrop RandomCrop RandomFlip RandomRotation RandomZoom RandomContrast RandomTranslation RandomHeight
	RandomWidth RandomBrightness StringLookup IntegerLookup CategoryEncoding Hashing Discretization TextVectorization
	HashedCrossing Identity EinsumDense TFOpLambda SlicingOpLambda Wrapper InputSpec Lambda
	GlorotUniform GlorotNormal HeUniform HeNormal LecunUniform LecunNormal Zeros Ones Constant RandomUniform RandomNormal
	TruncatedNormal Orthogonal VarianceScaling Identity L1 L2 L1L2 OrthogonalRegularizer MaxNorm NonNeg UnitNorm MinMaxNorm
	RadialConstraint Adam AdamW SGD RMSprop Adagrad Adadelta Adamax Nadam Ftrl Lion Adafactor LossScaleOptimizer
	ExponentialDecay PiecewiseConstantDecay PolynomialDecay InverseTimeDecay CosineDecay CosineDecayRestarts
	BinaryCrossentropy CategoricalCrossentropy SparseCategoricalCrossentropy MeanSquaredError MeanAbsoluteError Huber
	MeanMetricWrapper Mean Sum Accuracy BinaryAccuracy CategoricalAccuracy SparseCategoricalAccuracy AUC Precision Recall
	DTypePolicy Policy FloatDTypePolicy QuantizedDTypePolicy TensorShape KerasTensor __tuple__ __tensor__ __numpy__
	__typespec__ __lambda__ __keras_tensor__ __bytes__ __string__`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// kerasFinding is one problem found in a config.
type kerasFinding struct {
	rule    core.Rule
	msg, ev string
}

// analyzeKerasConfig walks a parsed config for Lambda layers and custom
// objects.
func analyzeKerasConfig(cfg any) (arch string, fs []kerasFinding) {
	if m, ok := cfg.(map[string]any); ok {
		arch, _ = m["class_name"].(string)
	}
	seen := map[string]bool{}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 200 {
			return
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e, depth+1)
			}
		case map[string]any:
			cls, _ := x["class_name"].(string)
			cfgm, _ := x["config"].(map[string]any)
			name := ""
			if cfgm != nil {
				name, _ = cfgm["name"].(string)
			}
			switch {
			case cls == "Lambda" || cls == "__lambda__":
				code := lambdaCode(x)
				if code != "" || cls == "__lambda__" {
					key := "lambda:" + name + code
					if !seen[key] {
						seen[key] = true
						msg := fmt.Sprintf("Lambda layer %q carries marshalled Python bytecode", name)
						if hits := bytecodeNames(code); len(hits) > 0 {
							msg += "; its code names " + strings.Join(hits, ", ")
						}
						fs = append(fs, kerasFinding{rule: RuleKerasLambda, msg: msg, ev: "Lambda " + name + " code=" + core.Clip(code, 60)})
					}
				} else if fn := lambdaFunctionName(x); fn != "" && !seen["fn:"+fn] {
					seen["fn:"+fn] = true
					fs = append(fs, kerasFinding{rule: RuleKerasCustom, msg: fmt.Sprintf("Lambda layer %q calls function %q, resolved by name at load time", name, fn), ev: "Lambda " + name + " function=" + fn})
				}
			case cls != "":
				mod, _ := x["module"].(string)
				reg, _ := x["registered_name"].(string)
				custom := ""
				switch {
				case mod != "" && !kerasModule(mod):
					custom = mod + "." + cls
				case strings.Contains(reg, ">") && !strings.HasPrefix(reg, "keras") && !strings.HasPrefix(reg, "Keras"):
					custom = reg
				case mod == "" && reg == "" && isLayerish(x) && !kerasBuiltins[cls]:
					custom = cls
				}
				if custom != "" && !seen["c:"+custom] {
					seen["c:"+custom] = true
					fs = append(fs, kerasFinding{rule: RuleKerasCustom, msg: fmt.Sprintf("config references custom object %q: loading imports and runs its code", custom), ev: "class_name=" + cls + " module=" + mod + " registered_name=" + reg})
				}
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k], depth+1)
			}
		}
	}
	walk(cfg, 0)
	return arch, fs
}

func kerasModule(m string) bool {
	for _, p := range []string{"keras", "tf_keras", "tensorflow", "builtins", "numpy", "keras_nlp", "keras_hub", "keras_cv"} {
		if m == p || strings.HasPrefix(m, p+".") {
			return true
		}
	}
	return false
}

// isLayerish: a Keras 2 object with class_name+config (+name) is a layer or
// other serialized Keras object.
func isLayerish(x map[string]any) bool {
	_, hasCfg := x["config"].(map[string]any)
	return hasCfg
}

// lambdaCode returns the base64 marshalled code of a Lambda (Keras 2 list
// form or Keras 3 __lambda__ form).
func lambdaCode(x map[string]any) string {
	if cls, _ := x["class_name"].(string); cls == "__lambda__" {
		if c, ok := x["config"].(map[string]any); ok {
			s, _ := c["code"].(string)
			return s
		}
	}
	c, ok := x["config"].(map[string]any)
	if !ok {
		return ""
	}
	switch f := c["function"].(type) {
	case []any:
		if len(f) > 0 {
			s, _ := f[0].(string)
			return s
		}
	case string:
		if t, _ := c["function_type"].(string); t == "lambda" {
			return f
		}
	case map[string]any:
		if cls, _ := f["class_name"].(string); cls == "__lambda__" {
			if fc, ok := f["config"].(map[string]any); ok {
				s, _ := fc["code"].(string)
				return s
			}
		}
	}
	return ""
}

func lambdaFunctionName(x map[string]any) string {
	c, ok := x["config"].(map[string]any)
	if !ok {
		return ""
	}
	if s, ok := c["function"].(string); ok {
		if m, ok := c["module"].(string); ok && m != "" {
			return m + "." + s
		}
		return s
	}
	return ""
}

// bytecodeNames decodes base64 marshalled code and lists dangerous names it
// mentions (as raw strings in the marshal data; nothing is unmarshalled).
func bytecodeNames(b64 string) []string {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		raw, err = base64.URLEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			return nil
		}
	}
	var hits []string
	for _, n := range []string{"system", "popen", "subprocess", "exec", "eval", "__import__", "socket", "open", "getattr", "os", "builtins", "compile"} {
		if containsName(raw, n) {
			hits = append(hits, n)
		}
	}
	return hits
}

// containsName finds n as a marshal short string (type byte, length, n).
func containsName(raw []byte, n string) bool {
	for _, t := range []byte{'z', 'Z', 0xda, 0xfa, 'u', 0xf5, 'a', 'A', 0xe1, 0xc1} {
		var pat []byte
		if t == 'u' || t == 0xf5 || t == 'a' || t == 'A' || t == 0xe1 || t == 0xc1 {
			pat = append([]byte{t, byte(len(n)), 0, 0, 0}, n...)
		} else {
			pat = append([]byte{t, byte(len(n))}, n...)
		}
		if bytes.Contains(raw, pat) {
			return true
		}
	}
	return false
}

func (sc *scan) reportKeras(member string, off int64, cfg any) string {
	arch, fs := analyzeKerasConfig(cfg)
	for _, f := range fs {
		sc.find(f.rule, member, off, f.msg, f.ev)
	}
	return arch
}

// scanKerasZip handles Keras v3 .keras archives.
func (sc *scan) scanKerasZip(b *blob, zr *zip.Reader, names map[string]*zip.File) (*detected, error) {
	det := &detected{Format: "keras", Framework: "keras", Wrap: b.wrap}
	member := joinMember(b.member, "config.json")
	data, err := readZipMember(names["config.json"], maxJSONConfig)
	if err != nil {
		sc.errorf(member, "%v", err)
		return det, nil
	}
	var cfg any
	if err := json.Unmarshal(data, &cfg); err != nil {
		sc.errorf(member, "config.json is not valid JSON: %v", err)
		return det, nil
	}
	det.Arch = sc.reportKeras(member, 0, cfg)
	if mf := names["metadata.json"]; mf != nil {
		if md, err := readZipMember(mf, 1<<20); err == nil {
			var m map[string]any
			if json.Unmarshal(md, &m) == nil {
				if v, ok := m["keras_version"].(string); ok {
					det.param("keras_version", v)
				}
			}
		}
	}
	// Pickles or nested models hidden in the archive besides the weights.
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".pkl") || strings.HasSuffix(f.Name, ".pickle") {
			det.param("extra_members", path.Base(f.Name))
		}
	}
	return det, nil
}

func readZipMember(f *zip.File, limit int64) ([]byte, error) {
	if f == nil {
		return nil, fmt.Errorf("missing member")
	}
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s is larger than %d bytes", f.Name, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return core.ReadLimited(rc, limit)
}

// scanHDF5 looks for Keras model_config JSON in the first HDF5Window bytes.
func (sc *scan) scanHDF5(b *blob) (*detected, error) {
	r := b.stream()
	win, err := io.ReadAll(io.LimitReader(r, HDF5Window))
	if err != nil {
		return nil, err
	}
	det := &detected{Format: "hdf5", Wrap: b.wrap}
	kerasMarks := bytes.Contains(win, []byte("keras_version")) || bytes.Contains(win, []byte("model_config")) || bytes.Contains(win, []byte("layer_names"))
	found, covered := 0, 0
	for _, start := range jsonStarts(win) {
		if start < covered {
			continue // nested in an object already analysed
		}
		obj, end := extractJSON(win, start)
		if obj == nil {
			continue
		}
		var cfg any
		if json.Unmarshal(obj, &cfg) != nil {
			continue
		}
		m, ok := cfg.(map[string]any)
		if !ok {
			continue
		}
		if _, ok := m["class_name"]; !ok {
			if _, ok := m["loss"]; !ok { // training_config
				continue
			}
		}
		found++
		covered = end
		arch := sc.reportKeras(b.member, int64(start), cfg)
		if det.Arch == "" && arch != "" {
			det.Arch = arch
		}
		if found >= 8 {
			break
		}
	}
	ext := strings.ToLower(path.Ext(b.name))
	switch {
	case found > 0 || kerasMarks:
		det.Format, det.Framework = "keras-hdf5", "keras"
		if found == 0 && bytes.Contains(win, []byte("model_config")) && int64(len(win)) >= HDF5Window {
			sc.errorf(b.member, "model_config not found in the first %d MiB; Keras config not inspected", HDF5Window>>20)
		}
	case ext == ".h5" || ext == ".hdf5" || ext == ".keras":
	default:
		return nil, errNotModel // some other HDF5 data file
	}
	return det, nil
}

// jsonStarts finds offsets where a Keras JSON object starts.
func jsonStarts(win []byte) []int {
	var out []int
	for _, pat := range [][]byte{[]byte(`{"class_name"`), []byte(`{"module"`), []byte(`{"loss"`)} {
		off := 0
		for len(out) < 64 {
			i := bytes.Index(win[off:], pat)
			if i < 0 {
				break
			}
			out = append(out, off+i)
			off += i + len(pat)
		}
	}
	sort.Ints(out)
	// drop objects nested in an earlier one (found again by the search)
	return out
}

// extractJSON returns the balanced JSON object starting at win[start].
func extractJSON(win []byte, start int) ([]byte, int) {
	depth, inStr, esc := 0, false, false
	lim := min(len(win), start+maxJSONConfig)
	for i := start; i < lim; i++ {
		c := win[i]
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return win[start : i+1], i + 1
			}
		case 0:
			return nil, i
		}
	}
	return nil, lim
}
