def sympify(a, locals=None):
    if isinstance(a, str):
        return eval(a, {}, locals or {})
    return a
