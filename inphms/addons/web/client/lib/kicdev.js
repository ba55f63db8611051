/*
  kicdev.js - the browser side of kicbutton() (tools.kicutil).

  Load it once: kicbutton0() writes <script src="/lib/kicdev.js"></script>.
  A button written by kicbutton() runs, inline:

      onclick="kicgo('/cgi-bin/p?app=start&r=309012&ses=..&rpage=prodsave','name,price')"

  kicgo() adds "&name=<value>&price=<value>" (the current values of the
  elements with id=name and id=price, URL-encoded) and opens that URL.
  The ids arrive URL-encoded and comma separated; an id that is not on the
  page is skipped.
*/

// open the next page: url plus the values of the elements named in use
function kicgo(url, use) {
    document.location.href = kicurl(url, use);
}

// url plus "&id=value" for each element id of use ("a,b", ids URL-encoded)
function kicurl(url, use) {
    if (!use) return url;
    var ids = use.split(",");
    for (var i = 0; i < ids.length; i++) {
        url += kicval(decodeURIComponent(ids[i]));
    }
    return url;
}

// "&id=value" for one element, "" when it is not on the page
function kicval(id) {
    var el = document.getElementById(id);
    if (!id || !el) return "";
    if (el.type == "radio") return kicradio(el);
    if (el.type == "checkbox") return kicpar(id, kicchk(el));
    if (el.multiple) return kicmany(id, el.options);
    return kicpar(id, el.value);
}

// a radio button sends name=value when it is the checked one
function kicradio(el) {
    if (!el.checked) return "";
    return kicpar(el.name, el.value);
}

// a checkbox sends 1 when checked, 0 when not
function kicchk(el) {
    if (el.checked) return 1;
    return 0;
}

// a multiple select sends id=value once for each selected option
function kicmany(id, opts) {
    var a = "";
    for (var i = 0; i < opts.length; i++) {
        if (opts[i].selected) a += kicpar(id, opts[i].value);
    }
    return a;
}

// "&key=value", both URL-encoded
function kicpar(key, val) {
    return "&" + encodeURIComponent(key) + "=" + encodeURIComponent(val);
}
