/*
 kicdev.server.js of the test project: call_server as a Flyton project's own.

 Posts {info: {os, ses, uses}, input} to /cgi-bin/api?meth=..; ses is this
 tab's sessionStorage, uses the ses= of the URL.  A status that is not 2xx
 throws; an answer with sact "out" tells the user and goes to
 /pages/enter/?via=relog.
*/

async function call_server(meth, inp) {
    let ses = sessionStorage.getItem("ses");
    let uses = "";
    let q = String(document.location.search || "");
    if (q.indexOf("ses=") >= 0) uses = q.split("ses=")[1].split("&")[0];
    let inf = {info: {os: "a", ses: ses, uses: uses}, input: inp};
    let res = await fetch("/cgi-bin/api?meth=" + meth, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify(inf)
    });
    if (!res.ok) throw new Error("server answered " + res.status);
    let r = await res.json();
    if (r.server && r.server.sact == "out") {
        alert("session over: log in again");
        document.location = "/pages/enter/?via=relog";
    }
    return r;
}
