from inphms.http import current_request
from tools.kicapi import *

public = 1


def api_where(data):
    hr = current_request().httprequest
    api_ok({"url": hr.host_url, "remote": hr.remote_addr})
