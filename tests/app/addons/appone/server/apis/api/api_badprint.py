def api_badprint(data):
    print("debug: got here")
    print(',"allow":1')
