# body.py - the frame of the page named by data["s"]["page"]: admin/<page>.py, function <page>(data)
import importlib


def body_admin(data):
    page = data["s"]["page"]
    mod = importlib.import_module("admin." + page)
    foo = getattr(mod, page)
    print(f"""<div class=container-fluid>
    <div class="row kicbody" id=flybody>
    {foo(data)}
    </div>
</div>""")
