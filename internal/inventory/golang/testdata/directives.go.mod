module example.com/m

go 1.25

toolchain go1.25.1

godebug default=go1.21

ignore ./node_modules

tool golang.org/x/tools/cmd/stringer

require golang.org/x/tools v0.30.0 // indirect
