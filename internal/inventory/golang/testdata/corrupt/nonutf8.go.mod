module example.com/ÿþ
