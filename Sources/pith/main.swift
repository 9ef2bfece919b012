print("pith")
