package aiassets

import "sync"

// The pre-filter decides, in one pass over the bytes, whether a source file
// can mention anything this capability reports. Only candidates are parsed
// with tree-sitter. It is an Aho-Corasick automaton with a dense transition
// table (one lookup per input byte) over the keywords below.

// keywords are case-sensitive substrings that mark a candidate. Key prefixes
// (sk-, hf_, AIza) only count when followed by a long token run, checked in
// candidate.
var keywords = []string{
	// models
	"from_pretrained", "AutoModel", "AutoTokenizer", "AutoProcessor", "pipeline", "hf_hub_download",
	"snapshot_download", "huggingface", "load_dataset", "SentenceTransformer", "CrossEncoder", "torch.hub",
	"timm", "diffusers", "ollama", "Ollama", "vllm", "llama_cpp", "transformers", "xenova", "Xenova",
	// services
	"openai", "OpenAI", "anthropic", "Anthropic", "genai", "generative", "GenerativeModel", "vertexai", "VertexAI",
	"bedrock", "Bedrock", "mistral", "Mistral", "cohere", "Cohere", "litellm", "LiteLLM", "langchain", "llama_index",
	"@ai-sdk", "ai-sdk",
	// unsafe loading
	"torch.load", "pickle", "joblib", "allow_pickle", "read_pickle", "allow_dangerous_deserialization",
	"trust_remote_code", "dill",
	// remote data reads
	"read_csv", "read_json", "read_parquet", "read_excel", "read_table", "read_feather",
	// key prefixes (verified in candidate)
	"sk-", "hf_", "AIza",
}

// keyPrefix marks keywords that need a token run after them to count.
var keyPrefix = map[string]bool{"sk-": true, "hf_": true, "AIza": true}

type automaton struct {
	next [][256]int32 // dense transitions (failure links folded in)
	out  []int32      // first keyword index ending at a state, -1 none
	link []int32      // dictionary suffix link: next state with an output, -1 none
}

var (
	acOnce sync.Once
	ac     *automaton
)

func buildAutomaton(words []string) *automaton {
	a := &automaton{next: make([][256]int32, 1), out: []int32{-1}}
	for wi, w := range words {
		s := int32(0)
		for i := 0; i < len(w); i++ {
			c := w[i]
			if a.next[s][c] == 0 {
				a.next = append(a.next, [256]int32{})
				a.out = append(a.out, -1)
				a.next[s][c] = int32(len(a.next) - 1)
			}
			s = a.next[s][c]
		}
		if a.out[s] < 0 {
			a.out[s] = int32(wi)
		}
	}
	fail := make([]int32, len(a.next))
	a.link = make([]int32, len(a.next))
	for i := range a.link {
		a.link[i] = -1
	}
	queue := make([]int32, 0, len(a.next))
	for c := 0; c < 256; c++ {
		if t := a.next[0][c]; t != 0 {
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := fail[s]
		if a.out[f] >= 0 {
			a.link[s] = f
		} else {
			a.link[s] = a.link[f]
		}
		for c := 0; c < 256; c++ {
			t := a.next[s][c]
			if t != 0 {
				fail[t] = a.next[f][c]
				queue = append(queue, t)
			} else {
				a.next[s][c] = a.next[f][c]
			}
		}
	}
	return a
}

func automatonFor() *automaton {
	acOnce.Do(func() { ac = buildAutomaton(keywords) })
	return ac
}

// candidate reports whether b mentions any keyword (key prefixes only when a
// plausible key follows).
func candidate(b []byte) bool {
	a := automatonFor()
	s := int32(0)
	for i := 0; i < len(b); i++ {
		s = a.next[s][b[i]]
		for st := s; st > 0; st = a.link[st] {
			if wi := a.out[st]; wi >= 0 {
				w := keywords[wi]
				if !keyPrefix[w] {
					return true
				}
				if plausibleKeyAt(b, i+1-len(w), i+1) {
					return true
				}
			}
		}
	}
	return false
}

// plausibleKeyAt: the prefix at b[start:end] starts a word and is followed by
// at least 20 key characters.
func plausibleKeyAt(b []byte, start, end int) bool {
	if start > 0 && isWordByte(b[start-1]) {
		return false
	}
	n := 0
	for j := end; j < len(b) && isKeyByte(b[j]); j++ {
		n++
		if n >= 20 {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isKeyByte(c byte) bool { return isWordByte(c) || c == '-' }
