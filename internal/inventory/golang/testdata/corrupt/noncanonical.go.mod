module example.com/x

go 1.22

require github.com/a/b latest
