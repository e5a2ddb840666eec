module example.com/app

go 1.22

require (
	github.com/foo/bar v1.2.3
	golang.org/x/net v0.20.0 // indirect
	example.com/inner v0.0.0
	example.com/outside v0.0.0
	github.com/pkg/errors v0.9.1
	github.com/old/lib v0.0.0-20230101000000-abcdefabcdef
)

exclude github.com/foo/bar v1.2.2

replace github.com/foo/bar => github.com/evil-fork/bar v1.2.4

replace golang.org/x/net v0.20.0 => golang.org/x/net v0.38.0

replace example.com/inner => ./internal/inner

replace example.com/outside => ../../outside

replace github.com/old/lib => /home/dev/lib

retract v1.0.0
toolchain go1.22.1
