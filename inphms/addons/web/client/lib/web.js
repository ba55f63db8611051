/* web.js - the web addon's header: logout */

async function web_logout() {
    await call_server("api_logout", {});
    sessionStorage.removeItem("ses");
    document.location = "/pages/login/";
}

async function web_server_time() {
    let r = await call_server("api_server_time", {});
    let s = r["server"];
    document.getElementById("servertime").innerText = s["allow"] ? s["time"] : s["msg"];
}
