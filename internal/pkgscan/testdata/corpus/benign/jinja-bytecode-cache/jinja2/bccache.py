import marshal, pickle
class Bucket:
    def load_bytecode(self, f):
        magic = f.read(6)
        checksum = pickle.load(f)
        self.code = marshal.load(f)
