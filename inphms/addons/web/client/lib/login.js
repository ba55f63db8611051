/* login.js - the login page: user and password, then the MFA code when asked */

var login_pre = "";

async function login() {
    login_msg("");
    if (login_pre) return login_mfa();
    let u = document.getElementById("u").value;
    let p = document.getElementById("p").value;
    let r = await call_server("api_login", {"u": u, "p": p});
    let s = r["server"];
    if (!s["allow"]) return login_msg(s["msg"]);
    if (s["mfa"]) return login_ask_code(s["pre"]);
    login_go(s["ses"]);
}

async function login_mfa() {
    let code = document.getElementById("code").value;
    let r = await call_server("api_mfa", {"pre": login_pre, "code": code});
    let s = r["server"];
    if (!s["allow"]) return login_msg(s["msg"]);
    login_go(s["ses"]);
}

function login_ask_code(pre) {
    login_pre = pre;
    document.getElementById("userbox").classList.add("d-none");
    document.getElementById("passbox").classList.add("d-none");
    document.getElementById("mfabox").classList.remove("d-none");
    document.getElementById("code").focus();
}

function login_go(ses) {
    sessionStorage.setItem("ses", ses);
    document.location = "/cgi-bin/p?app=start&r=1&ses=" + encodeURIComponent(ses);
}

function login_msg(t) {
    let m = document.getElementById("loginmsg");
    m.innerText = t;
    m.classList.toggle("d-none", !t);
}
