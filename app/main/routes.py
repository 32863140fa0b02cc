"""The staff home page and the health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text

from app.extensions import db
from app.platform.access import public, staff_only

bp = Blueprint("main", __name__)


@bp.route("/")
@staff_only
def index():
    """The staff home page: what this account can do."""
    return render_template("main/index.html")


@bp.route("/healthz")
@public
def health():
    """For load balancers: 200 when the database answers."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
