# api_fly_users.py - the active users, and the project's own tool
# (dict where: the text form 'is_active>0' needs the text-where parser)
from tools.sql import *
from tools.db_fly import *


def api_fly_users(data):
    w = find_in_sql({'table': 'users', 'what': 'username', 'all': 1, 'where': {'is_active': ('>', 0)}})
    names = [x[0] for x in w or []]
    print(f',"allow":1,"hello":"{fly_hello()}"')
    return {"users": names}
