"""`flask demo`: seed the demo city and print how to log in and where to look."""
from __future__ import annotations

import unicodedata

import click
from flask import current_app
from flask.cli import with_appcontext

from app.platform.access import role_label
from app.platform.links import public_base_url


def _width(text: str) -> int:
    """Columns a terminal gives the text: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


@click.command("demo")
@click.option("--base-url", default=None,
              help="Address the demo is served at (default: PUBLIC_BASE_URL, else http://127.0.0.1:5000): "
                   "the respondent links in the outbox and the posters point there.")
@with_appcontext
def demo_command(base_url: str | None) -> None:
    """Seed the demo city (idempotent) and print the demo accounts."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("refusing to seed demo accounts with known passwords in production mode")
    from app.demo import pointers, seed_demo

    base_url = (base_url or public_base_url()).rstrip("/")
    accounts = seed_demo(base_url)
    where = pointers(base_url)
    rows = [("role", "username", "password", "department", "what to try")]
    rows += [(role_label(a.role), a.username, a.password, a.department_code or "", a.tries) for a in accounts]
    widths = [max(_width(row[i]) for row in rows) + 2 for i in range(4)]
    click.echo(f"Demo city ready. Log in at {base_url}/login with any of these accounts:")
    click.echo("")
    for row in rows:
        click.echo("  " + "".join(_pad(cell, w) for cell, w in zip(row, widths)) + row[4])
    click.echo("")
    if where.open_round_id is not None:
        click.echo(f"Respondents need no account: the open round {where.open_round_month} sent 500 invitations to the "
                   f"SMS outbox (operator → 月度评价 → the round → 短信发件箱, "
                   f"{base_url}/admin/rounds/{where.open_round_id}/outbox).")
    if where.respondent_link:
        click.echo(f"  A link not answered yet (open it on a phone-sized window): {where.respondent_link}")
    if where.rating_path:
        click.echo(f"Real-time rating, as a QR poster opens it: {base_url}{where.rating_path} "
                   f"(posters: 实时评价 → 服务点 → 评价海报)")
    click.echo(f"Complaints: file one at {base_url}/complaints/new; "
               + (f"track {where.tracking_number} with query code {where.query_code} at {base_url}/complaints/track"
                  if where.tracking_number else f"every demo complaint's query code is {where.query_code}"))
    click.echo(f"Entrepreneurs' forum: the public ledger at {base_url}/forum/ledger; the organiser (forum) runs the "
               f"meetings at {base_url}/admin/forum/")
    if where.forum_link:
        click.echo(f"  An invited enterprise's personal link (open it on a phone-sized window): {where.forum_link}")
    if where.policy_item:
        click.echo(f"Policy window (惠企政策兑现): 12 policies with 30 items and profiles of the pool's enterprises, "
                   f"kept by the 政策专员 account; match and push item {where.policy_item} from its pages or the shell "
                   f"(docs/zh/policy-guide.md).")
    if where.published_months:
        click.echo(f"Published assessments ({', '.join(where.published_months)}); check a draw with "
                   f"`flask draw verify {where.published_months[-1]}` and the audit log with `flask audit verify`.")
