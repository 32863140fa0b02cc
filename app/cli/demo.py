"""`flask demo`: seed the demo city and print how to log in."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.access import role_label


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Seed the demo city (idempotent) and print the demo accounts."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("refusing to seed demo accounts with known passwords in production mode")
    from app.demo import seed_demo

    accounts = seed_demo()
    click.echo("Demo city ready. Log in at http://127.0.0.1:5000/login with:")
    for account in accounts:
        scope = f"  [{account.department_code}]" if account.department_code else ""
        click.echo(f"  {account.username:<12} {account.password:<22} {role_label(account.role)}{scope}")
    click.echo("Respondent links of the open round: log in as operator, 月度评价 → the round → 短信发件箱.")
