import socket
def check_port(host="127.0.0.1", port=6379):
    with socket.socket() as s:
        return s.connect_ex((host, port)) == 0
