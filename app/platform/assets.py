"""Static files under names that carry their content's hash, cached by browsers for a year.

``asset_url("css/survey.css")`` gives ``/assets/css/survey.3f9a1c2b7e.css``: a phone that has the file never
asks for it again, and a changed file gets a new name, so nobody keeps a stale copy. ``/favicon.ico`` answers
for the browsers that ask for it on their own.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory, url_for
from werkzeug.security import safe_join

from app.platform.access import public

bp = Blueprint("assets", __name__)

ONE_YEAR = 365 * 24 * 3600
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<suffix>\.[A-Za-z0-9]+)$")
_DIGESTS: dict[tuple[str, float], str] = {}


def _digest(filename: str) -> str:
    joined = safe_join(current_app.static_folder, filename)
    if joined is None:
        raise FileNotFoundError(filename)
    path = Path(joined)
    stat = path.stat()
    key = (filename, stat.st_mtime)
    digest = _DIGESTS.get(key)
    if digest is None:
        digest = _DIGESTS[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    return digest


def asset_url(filename: str) -> str:
    """The URL of a static file with its content hash in the name."""
    path = Path(filename)
    return url_for("assets.static", name=f"{path.parent / path.stem}.{_digest(filename)}{path.suffix}".lstrip("./"))


@bp.route("/assets/<path:name>")
@public
def static(name: str):
    """A hashed static file, cacheable for a year (the name changes with the content)."""
    match = _HASHED.match(name)
    if match is None:
        abort(404)
    filename = match["stem"] + match["suffix"]
    try:
        current = _digest(filename)
    except (FileNotFoundError, NotADirectoryError, OSError):
        abort(404)
    # An old name (a page cached before an upgrade) still gets the file, but not for a year.
    max_age = ONE_YEAR if current == match["digest"] else 300
    response = send_from_directory(current_app.static_folder, filename, max_age=max_age)
    if max_age == ONE_YEAR:
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response


@bp.route("/favicon.ico")
@public
def favicon():
    """The icon browsers ask for on their own."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=7 * 24 * 3600,
                               mimetype="image/x-icon")
