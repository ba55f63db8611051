# answers the way Flyton's cgi.py-era APIs do: members of the JSON printed one by one


def api_frag(data):
    i = data["post"]["input"]
    print('"back":"first without a comma"')
    print(f',"user":"{i["u"]}"')
    print(',"allow":1')
    print(',"rows":[1,2,{"a":null}]')
    return
