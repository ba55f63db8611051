"""kiclang: txt(), the texts of a page in the user's language.

    from tools.kiclang import *

    h = f"<h1>{txt('Users')}</h1> {txt('Total', ': ')}{n}"

The language is the session's `lang`, else the config `lang`
(inphms.http.current_lang()).  Each addon may ship a dictionary per
language, `client/lang/<lang>.json`, a JSON object {"English text":
"translation"}.  The dictionaries of the loaded addons are merged in loading
order, so a later addon overrides an earlier one.  Text with no translation
comes back unchanged; an empty translation counts as none.

A language's dictionary is read once per process, the first time it is
needed; reset_lang_cache() drops what was read (a new `root.setup()` of the
addons drops it too).
"""
import json
import logging
import os
import re
import threading

import inphms.http

__all__ = ["txt", "txt1", "txtDic", "txtGetProp", "load_dictionary", "lang_dic", "reset_lang_cache"]

log = logging.getLogger(__name__)

# a language code is a file name: "he", "en", "pt_BR", "zh-Hant"
lang_ok = re.compile(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})?")

# leading spaces, the text, trailing spaces
pad = re.compile(r"(\s*)(.*?)(\s*)", re.S)

lock = threading.Lock()
cache = {"addons": None, "langs": {}}


def txt(*parts, **kwargs):
    """Each part translated (its spaces around kept), the parts joined.

    txt("Total", ": ") -> "סך הכל: " in Hebrew; None parts give "".
    Keyword arguments are taken and not used, as in Flyton.
    """
    dic = load_dictionary()
    a = ""
    for p in parts:
        a += txt1(p, dic)
    return a


def txt1(z, dic=None):
    """One part translated (by `dic`, else the request's language), keeping its leading/trailing spaces."""
    if dic is None:
        dic = load_dictionary()
    if z is None:
        return ""
    s = str(z)
    t = dic.get(s)
    if t:
        return t
    if not dic:
        return s
    m = pad.fullmatch(s)
    before, s, after = m.groups()
    return before + dic.get(s, s) + after


def txtDic(z):
    """z translated into the request's language, or z itself when there is no translation."""
    return load_dictionary().get(z, z)


def txtGetProp(z):
    """(before, after, s): the spaces before and after z, and z without them (spaces only, as Flyton)."""
    s = z.lstrip(" ")
    before = z[:len(z) - len(s)]
    t = s.rstrip(" ")
    return before, s[len(t):], t


def load_dictionary():
    """The dictionary {text: translation} of the request's language (see lang_dic).

    Flyton's returns a fixed Hebrew dict; here it is the addons'
    client/lang/<lang>.json merged, for the session's or config's lang.
    """
    return lang_dic(inphms.http.current_lang())


def lang_dic(lang):
    """The merged dictionary {text: translation} of `lang` ({} if none).

    The dict is the cached one, shared by every request: read it, never change it.
    """
    addons = inphms.http.root.addons
    if cache["addons"] is addons and isinstance(lang, str):
        # only checked names are cached, so a hit needs no check; read
        # without the lock: the dicts are never changed
        dic = cache["langs"].get(lang)
        if dic is not None:
            return dic
    lang = str(lang or "")
    if not lang_ok.fullmatch(lang):
        return {}
    with lock:
        if cache["addons"] is not addons:
            cache["addons"] = addons
            cache["langs"] = {}
        dic = cache["langs"].get(lang)
        if dic is None:
            dic = cache["langs"][lang] = load_lang(lang, addons)
    return dic


def load_lang(lang, addons):
    """Every addon's client/lang/<lang>.json merged, in loading order."""
    dic = {}
    for a in addons:
        path = a.subpath("client", "lang", lang + ".json")
        if not os.path.isfile(path):
            continue
        dic.update(read_lang(path, a.name))
    log.debug("language %s: %d texts", lang, len(dic))
    return dic


def read_lang(path, name):
    """One dictionary file as {stripped text: translation}.

    A file that is not a JSON object is logged and skipped; so is an entry
    whose translation is not a text.
    """
    f = os.path.basename(path)
    try:
        with open(path, encoding="utf-8-sig") as fh:
            d = json.load(fh)
    except (OSError, ValueError) as e:
        log.error("addon %s: dictionary %s skipped: %s", name, f, e)
        return {}
    if not isinstance(d, dict):
        log.error("addon %s: dictionary %s skipped: not a JSON object", name, f)
        return {}
    w = {}
    for k, v in d.items():
        if not isinstance(v, str):
            log.warning("addon %s: dictionary %s: %r is not a text, skipped", name, f, k)
            continue
        if not v or not k.strip():
            continue
        w[k.strip()] = v
    return w


def reset_lang_cache():
    """Forget the dictionaries read so far; the next txt() reads them again."""
    with lock:
        cache["addons"] = None
        cache["langs"] = {}
