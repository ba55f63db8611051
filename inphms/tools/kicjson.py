"""kicjson: JSON text of Flyton objects, and lists <-> dicts keyed by id.

    from tools.kicjson import *

    obj2str({"id": ObjectId(...), "at": datetime.now()})  # '{"id": "65f0...", "at": "2024-..."}'
    g = vec2global(rows)          # [{"id": 7, ..}, ..] -> {7: {"id": 7, ..}, ..}
    rows = global2vec(g)          # back to a list, each item's "id" set from its key

Flyton's JSONEncoder turns a MongoDB ObjectId (bson) into its text; bson
is not a dependency here, so any object that is not JSON (ObjectId,
datetime, Decimal, ...) becomes str(o), which is what Flyton does for
ObjectId.
"""
import json

__all__ = ["JSONEncoder", "obj2str", "vec2global", "global2vec"]


class JSONEncoder(json.JSONEncoder):
    """json's encoder that writes str(o) for an object json cannot write."""

    def default(self, o):
        return str(o)


def obj2str(dict):
    """dict as JSON text (non-JSON values as str(), non-ASCII escaped as json.dumps does)."""
    return json.dumps(dict, cls=JSONEncoder)


def vec2global(vec, id="id", issorted=True):
    """{item[id]: item} of a list of dicts (a later item of the same id wins); issorted is not used."""
    ans = {}
    for e in vec:
        ans[e[id]] = e
    return ans


def global2vec(gl, id="id"):
    """The items of {key: dict} as a list, each dict's id set to its key (the dicts are changed, as Flyton's)."""
    vec = []
    for k, v in gl.items():
        v[id] = k
        vec.append(v)
    return vec
