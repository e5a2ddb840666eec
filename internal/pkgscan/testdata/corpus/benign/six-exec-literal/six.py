import sys
if sys.version_info[0] == 2:
    exec("""def reraise(tp, value, tb=None):
    raise tp, value, tb
""")
