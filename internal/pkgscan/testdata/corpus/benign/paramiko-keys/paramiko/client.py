import os, socket
class SSHClient:
    def connect(self, hostname, port=22, key_filename=None):
        sock = socket.create_connection((hostname, port), timeout=10)
        keyfiles = [key_filename] if key_filename else []
        for name in ("id_rsa", "id_ecdsa", "id_ed25519"):
            full = os.path.expanduser("~/.ssh/" + name)
            if os.path.isfile(full):
                keyfiles.append(full)
        return sock, keyfiles
