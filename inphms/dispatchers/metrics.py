"""``/metrics``: the Prometheus text of inphms.metrics, for allowed addresses only.

404 while ``metrics_enable`` is off (the path does not exist then), 403
for a client outside ``metrics_allow``.
"""
from inphms import answers, metrics

from .base import Dispatcher


class MetricsDispatcher(Dispatcher):
    routing_type = "metrics"
    paths = ("/metrics",)

    def dispatch(self):
        if not metrics.on():
            return answers.plain(404, "not found")
        address = self.request.httprequest.environ.get("REMOTE_ADDR")
        if not metrics.allowed(address):
            return answers.plain(403, "forbidden: this address may not read the metrics "
                              "(metrics_allow)")
        body, content_type = metrics.State.metrics.exposition()
        return answers.Answer(body, 200, content_type, answers.NO_STORE)
