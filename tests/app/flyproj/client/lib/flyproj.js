/* flyproj.js - the dashboard's buttons */

async function fly_save_note() {
    let note = document.getElementById("note").value;
    let r = await call_server("api_save_note", {note: note});
    fly_show(r);
}

async function fly_keep_qr() {
    let r = await call_server("api_keep_qr", {qr_content: document.getElementById("note").value});
    fly_show(r);
}

function fly_show(r) {
    document.getElementById("answer").innerText = JSON.stringify(r.server);
}
