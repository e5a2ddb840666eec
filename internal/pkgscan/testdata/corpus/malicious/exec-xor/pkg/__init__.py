_b = [67, 71, 90, 69, 88, 94]
exec(''.join(chr(c ^ 42) for c in _b))
