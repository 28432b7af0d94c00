"""Rapport: a teacher's companion beside a live video lesson.

Kept import-light on purpose: `rapport serve` must monkey-patch for gevent or eventlet before
Flask, redis-py or the standard library's sockets are imported. The app factory lives in
`server.app`.
"""

__version__ = "0.1.0"
