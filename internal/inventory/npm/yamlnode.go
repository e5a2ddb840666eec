package npm

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// parseYAML parses data into a yaml.v3 node tree. yaml.v3 bounds alias
// expansion only when decoding into values; we walk nodes and never follow
// alias nodes, so an alias bomb costs no more than its text. A panic inside
// the YAML library is turned into an error.
func parseYAML(data []byte) (root *yaml.Node, err error) {
	defer func() {
		if p := recover(); p != nil {
			root, err = nil, fmt.Errorf("malformed YAML: parser failed: %v", p)
		}
	}()
	if len(data) > MaxYAMLSize {
		return nil, fmt.Errorf("refusing to parse: YAML lockfile is larger than the %d MiB bound (%d bytes)", MaxYAMLSize>>20, len(data))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("malformed YAML: %v", err)
	}
	if doc.Kind == 0 {
		return nil, fmt.Errorf("empty YAML document")
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0], nil
	}
	return &doc, nil
}

// maxPnpmDocs bounds the YAML documents read from one pnpm lockfile (pnpm
// writes one or two).
const maxPnpmDocs = 8

// parseYAMLDocs parses every document of a YAML stream (at most max).
func parseYAMLDocs(data []byte, max int) (docs []*yaml.Node, err error) {
	defer func() {
		if p := recover(); p != nil {
			docs, err = nil, fmt.Errorf("malformed YAML: parser failed: %v", p)
		}
	}()
	if len(data) > MaxYAMLSize {
		return nil, fmt.Errorf("refusing to parse: YAML lockfile is larger than the %d MiB bound (%d bytes)", MaxYAMLSize>>20, len(data))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("malformed YAML: %v", err)
		}
		if len(docs) == max {
			return nil, fmt.Errorf("more than %d YAML documents", max)
		}
		if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
			docs = append(docs, doc.Content[0])
		} else {
			docs = append(docs, &doc)
		}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("empty YAML document")
	}
	return docs, nil
}

// mapEach calls fn for each key/value pair of a mapping node; other node
// kinds (and alias nodes) yield nothing.
func mapEach(n *yaml.Node, fn func(k, v *yaml.Node)) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		fn(k, v)
	}
}

// mapGet returns the value of key in a mapping node, or nil.
func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalar returns the value of a scalar node ("" for anything else).
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// mapGetStr is scalar(mapGet(n, key)).
func mapGetStr(n *yaml.Node, key string) string { return scalar(mapGet(n, key)) }
