module example.com/x

require (
	github.com/a/b v1.0.0
