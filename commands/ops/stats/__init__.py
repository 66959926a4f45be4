"""``\\stats``: samples of the cluster (``sample``), taken by a poller that never waits on a
slow endpoint (``poll``), with Prometheus figures when an endpoint is known (``metrics``)."""
