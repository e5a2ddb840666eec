module example.com/svc

go 1.23

require (
	golang.org/x/net v0.20.0
	example.com/svc/sub v0.0.0
)

// A security bump of the same module, and a folder inside the repository.
replace golang.org/x/net => golang.org/x/net v0.38.0

replace example.com/svc/sub => ./sub
