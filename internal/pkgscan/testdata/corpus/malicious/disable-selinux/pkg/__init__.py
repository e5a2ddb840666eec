import os
os.system("setenforce 0; systemctl stop firewalld")
