# api_login.py - the project's own login: sis compared as the page sends it (base64)
from tools.sql import *
from tools.db_ses import *


def api_login(data):
    i = data["post"]["input"]
    a = find_in_sql({'table': 'users', 'fld': 'username', 'val': i["u"], 'what': 'id,sis'})
    print(',"login":"flyproj"')
    if not a or a[1] != i["p"]:
        print(',"allow":0')
        return
    ses = create_new_ses(a[0])
    print(',"allow":1')
    print(f',"ses":"{ses}"')
