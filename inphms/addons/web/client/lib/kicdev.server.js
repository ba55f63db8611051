/*
 kicdev.server.js - Flyton's way from the browser to the server's python

   var r = await call_server("api_x", {"a": 1});
   if (r["server"]["allow"]) { ... r["server"]["more_data"] ... }

 The call posts {"info": {"ses", "uses"}, "input": inp} to /cgi-bin/api?meth=api_x.
 ses is this tab's token (sessionStorage), uses the token of the page's URL.
 A file in inp["file_x"] (an ArrayBuffer) travels as inp["b64_file_x"] in base64.
 An answer with sact "out" means the session is over: the browser goes to login.
*/

var kic_login = "/pages/login/";

async function call_server(meth, inp) {
    inp = inp || {};
    for (const k of Object.keys(inp)) {
        if (!k.startsWith("file_")) continue;
        inp["b64_" + k] = kic_b64(inp[k]);
        delete inp[k];
    }
    let ses = sessionStorage.getItem("ses") || "";
    let uses = kic_url_ses();
    let body = JSON.stringify({info: {os: "a", ses: ses, uses: uses}, input: inp});
    let res = await fetch("/cgi-bin/api?meth=" + encodeURIComponent(meth), {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: body
    });
    let r = await kic_json(res);
    if (r["server"] && r["server"]["sact"] == "out") {
        sessionStorage.removeItem("ses");
        document.location = kic_login;
    }
    return r;
}

async function kic_json(res) {
    try {
        return await res.json();
    } catch (e) {
        return {server: {allow: 0, msg: "bad answer from the server (" + res.status + ")"}};
    }
}

function kic_url_ses() {
    let p = new URLSearchParams(document.location.search);
    return p.get("ses") || "";
}

function kic_b64(buf) {
    let s = "";
    let b = new Uint8Array(buf);
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return window.btoa(s);
}
