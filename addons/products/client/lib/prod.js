/*
 prod.js - the products addon in the browser: save the edit form, switch a
 product off or on (admins), choose the language.  call_server() comes from
 kicdev.server.js and kicpar() from kicdev.js, both loaded by the header.
 Events are inline in the pages (onclick=prod_save(...)); elements are found by id.
*/

var prod_marked = [];   // the error places the last answer filled

// prodedit: save the form; next is the URL of prodview that the server wrote (kicnav)
async function prod_save(next) {
    let but = document.getElementById("prodsave");
    but.disabled = 1;
    prod_unmark();
    let inp = {
        prod_id: prod_val("prod_id"),
        name: prod_val("name"),
        sku: prod_val("sku"),
        price: prod_val("price"),
        note: prod_val("note"),
        attr: prod_attrs()
    };
    let r = await call_server("api_prod_save", inp);
    let s = r["server"];
    if (!s["allow"]) {
        prod_mark(s["errs"] || {});
        document.getElementById("prodmsg").innerText = s["msg"];
        but.disabled = 0;
        return;
    }
    document.location = next + kicpar("prod_id", s["prod_id"]);
}

function prod_val(id) {
    return document.getElementById(id).value;
}

// the attribute rows ak0/av0, ak1/av1, ... as [[name, value], ...]
function prod_attrs() {
    let a = [];
    for (let n = 0; document.getElementById("ak" + n); n++) {
        a.push([prod_val("ak" + n), prod_val("av" + n)]);
    }
    return a;
}

// each error next to its field: the text in err_<field>, the input marked
function prod_mark(errs) {
    for (const k of Object.keys(errs)) {
        let e = document.getElementById("err_" + k);
        if (!e) continue;
        e.innerText = errs[k];
        prod_marked.push(k);
        let f = document.getElementById(e.dataset.field);
        if (f) f.classList.add("is-invalid");
    }
}

function prod_unmark() {
    for (const k of prod_marked) {
        let e = document.getElementById("err_" + k);
        e.innerText = "";
        let f = document.getElementById(e.dataset.field);
        if (f) f.classList.remove("is-invalid");
    }
    prod_marked = [];
    document.getElementById("prodmsg").innerText = "";
}

// prodadmin: switch product id off (off 1) or on again (off 0)
async function prod_off(id, off) {
    let r = await call_server("api_prod_off", {prod_id: id, off: off});
    if (!r["server"]["allow"]) {
        document.getElementById("adminmsg").innerText = r["server"]["msg"];
        return;
    }
    document.location.reload();
}

// prodlist: the session's language, from the select id=lang
async function prod_lang() {
    let r = await call_server("api_prod_lang", {lang: prod_val("lang")});
    if (!r["server"]["allow"]) {
        document.getElementById("langmsg").innerText = r["server"]["msg"];
        return;
    }
    document.location.reload();
}
