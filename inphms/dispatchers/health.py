"""``/health/live`` and ``/health/ready``: what a load balancer asks (inphms.health).

Plain text, never cached, no session, no database work on the request's
own thread: liveness answers 200 whenever the process answers at all;
readiness 200 ``ready`` or 503 ``not ready: <why>`` with ``Retry-After``.
"""
from inphms import answers, health

from .base import Dispatcher

LIVE = "/health/live"
READY = "/health/ready"


class HealthDispatcher(Dispatcher):
    routing_type = "health"
    paths = (LIVE, READY)

    def dispatch(self):
        if self.request.httprequest.path == LIVE:
            return answers.plain(200, "live")
        ready, reason = health.readiness()
        if ready:
            return answers.plain(200, f"ready: {reason}")
        return answers.Answer(f"not ready: {reason}\n", 503, "text/plain; charset=utf-8",
                           answers.NO_STORE + (("Retry-After", "5"),))
