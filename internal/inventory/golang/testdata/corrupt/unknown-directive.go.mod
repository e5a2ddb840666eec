module example.com/x

frobnicate github.com/a/b v1.0.0
