import socket, os
SERVER_NAME = socket.gethostname()
DSN = os.environ.get("SENTRY_DSN")
