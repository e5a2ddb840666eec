import os, subprocess as sp
from transformers import AutoModel

def load(name: str, *, rev="main"):
    m = AutoModel.from_pretrained(name, revision=rev, trust_remote_code=True)
    data = {"k": [1, 2.5, b"x", f"{name!r}"], **os.environ}
    return [x ** 2 for x in range(10) if x % 2] or lambda y: y

class C(object):
    @property
    def f(self):
        try:
            sp.run(["ls"], check=True)
        except (OSError, ValueError) as e:
            raise RuntimeError from e
        finally:
            pass
print "python2 statement"
def broken(:
