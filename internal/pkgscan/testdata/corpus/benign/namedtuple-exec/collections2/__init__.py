def namedtuple(typename, field_names):
    arg_list = ", ".join(field_names)
    s = f"def __new__(_cls, {arg_list}): return _tuple_new(_cls, ({arg_list}))"
    namespace = {"_tuple_new": tuple.__new__}
    exec(s, namespace)
    return namespace["__new__"]
