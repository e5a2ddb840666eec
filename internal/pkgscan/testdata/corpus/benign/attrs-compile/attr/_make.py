import linecache
def _make_method(name, script, filename, globs):
    locs = {}
    bytecode = compile(script, filename, "exec")
    eval(bytecode, globs, locs)
    linecache.cache[filename] = (len(script), None, script.splitlines(True), filename)
    return locs[name]
