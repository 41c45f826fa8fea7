"""Serving under gunicorn as the README runs it (`gunicorn config.wsgi`, gunicorn.conf.py).

Kubernetes stops a pod with SIGTERM to its first process, gunicorn's master, and kills it
terminationGracePeriodSeconds later (deploy/kubernetes/deployment.yaml). gunicorn then stops
accepting and lets the requests in flight finish within GUNICORN_GRACEFUL_TIMEOUT: none of them is
cut, and the server exits 0.
"""

import socket
import threading

import pytest

from api_layer.testing import send, serve
from api_layer.tests.urls import HELD


@pytest.mark.slow  # a gunicorn of its own
def test_sigterm_lets_the_request_in_flight_finish_then_exits_0():
    with socket.create_server(("127.0.0.1", 0)) as test_port:
        test_port.settimeout(60)
        env = {
            "DJANGO_SETTINGS_MODULE": "api_layer.tests.served_settings",
            "HELD_REQUEST_PORT": str(test_port.getsockname()[1]),
        }
        with serve(**env) as server:
            answers = []
            url = f"{server.url}{HELD}"
            client = threading.Thread(target=request_and_keep, args=(url, answers))
            client.start()
            view, _ = test_port.accept()  # the request is in the view now
            with view:
                assert view.recv(16) == b"in flight"
                server.process.terminate()  # SIGTERM, as Kubernetes sends it
                server.wait_for_log("Handling signal: term")
                view.sendall(b"go")
            client.join(timeout=60)
            exit_code = server.process.wait(timeout=60)

    assert answers == [(200, {"held": "released"})]
    assert exit_code == 0


def request_and_keep(url, answers):
    try:
        answers.append(send("GET", url)[:2])
    except OSError as error:  # the connection was cut
        answers.append(error)
