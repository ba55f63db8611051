"""nginx and HAProxy in front of test servers, with the configs of docs/examples/.

``nginx_config`` / ``haproxy_config`` put the docs' example on test ports;
``start_proxy`` runs the proxy and waits until a path answers 200 through
it; ``API_PID_LOOP`` is a client for a subprocess that calls ``api_pid`` (of
tests/scale/addons/slowapp) in a loop and prints "ok failed servers".
"""
import os
import subprocess
import textwrap

from tests.support.client import request
from tests.support.server import ROOT
from tests.support.wait import wait_for

NGINX_EXAMPLE = os.path.join(ROOT, "docs", "examples", "nginx.conf")
HAPROXY_EXAMPLE = os.path.join(ROOT, "docs", "examples", "haproxy.cfg")
BOOK = os.path.join(ROOT, "tests", "cron", "addons", "book")
SLOWAPP = os.path.join(ROOT, "tests", "scale", "addons", "slowapp")

# argv: port seconds
API_PID_LOOP = textwrap.dedent("""
    import http.client, json, sys, time
    port, limit = int(sys.argv[1]), float(sys.argv[2])
    ok = failed = 0
    pids = set()
    end = time.monotonic() + limit
    while time.monotonic() < end and ok + failed < 20000:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/cgi-bin/api?meth=api_pid", body="{}")
            resp = conn.getresponse()
            body = resp.read()
            if resp.status == 200:
                ok += 1
                pids.add(json.loads(body)["server"]["pid"])
            else:
                failed += 1
            conn.close()
        except Exception as exc:
            failed += 1
            print(repr(exc), file=sys.stderr)
    print(ok, failed, len(pids))
""")


def nginx_config(work, port, upstreams):
    """The docs' example, on test ports, inside a minimal nginx.conf."""
    text = open(NGINX_EXAMPLE).read()
    text = text.replace("127.0.0.1:8069", f"127.0.0.1:{upstreams[0]}")
    text = text.replace("127.0.0.1:8070", f"127.0.0.1:{upstreams[1]}")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};")
    text = text.replace("/var/log/nginx/inphms.access.log", f"{work}/inphms-access.log")
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as handle:
        handle.write(f"""
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    access_log {work}/nginx-access.log;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
{text}
}}
""")
    return conf


def haproxy_config(work, port, upstreams):
    """The docs' example on test ports, logging to stdout, for two servers."""
    text = open(HAPROXY_EXAMPLE).read()
    text = text.replace("log /dev/log local0", "log stdout format raw local0")
    text = text.replace("bind :80", f"bind 127.0.0.1:{port}")
    text = text.replace("127.0.0.1:8069", f"127.0.0.1:{upstreams[0]}")
    text = text.replace("127.0.0.1:8070", f"127.0.0.1:{upstreams[1]}")
    text = "\n".join(line for line in text.splitlines() if "127.0.0.1:8071" not in line) + "\n"
    path = os.path.join(work, "haproxy.cfg")
    with open(path, "w") as handle:
        handle.write(text)
    return path


def answers_200(port, path):
    try:
        return request(port, "GET", path)[0] == 200
    except OSError:
        return False


def start_proxy(command, port, path, timeout=15, **popen):
    """Run the proxy ``command`` and wait until ``path`` answers 200 through ``port``."""
    proc = subprocess.Popen(command, **popen)

    def ready():
        if proc.poll() is not None:
            raise AssertionError(f"{command[0]} exited {proc.returncode}")
        return answers_200(port, path)
    try:
        wait_for(ready, timeout, f"{path} to answer 200 through {command[0]} on port {port}", step=0.1)
    except AssertionError:
        proc.terminate()
        proc.wait(10)
        raise
    return proc
