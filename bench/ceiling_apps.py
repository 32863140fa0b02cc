"""The two do-nothing applications `bench_ceiling.py` serves: the floor under any page of the platform.

``wsgi_app`` is a bare WSGI callable (gunicorn and the driver alone); ``flask_app`` is an empty Flask
application with one route (what Flask adds before any code of ours runs). Neither touches a database.
"""
from flask import Flask

BODY = b"ok"


def wsgi_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]


flask_app = Flask(__name__)


@flask_app.route("/", methods=["GET", "POST"])
def index():
    return "ok"
