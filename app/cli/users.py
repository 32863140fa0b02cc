"""`flask users create|list|reset-two-factor`: manage staff accounts from the shell."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from app.accounts import two_factor
from app.accounts.models import User
from app.accounts.service import AccountError, create_user, find_account
from app.departments.models import Department
from app.extensions import db
from app.platform.roles import Role

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="What the account may do.")
@click.option("--department", "department_code", help="Department code (department liaisons only).")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--must-change-password", is_flag=True,
              help="Make its owner choose a new password at the first login (for an account made for somebody "
                   "else; the administrator's web page always does).")
@click.password_option(help="Asked for when not given. At least 10 characters, without the username, and hard to "
                            "guess (the zxcvbn estimator's score at least 3).")
def create(username: str, role: str, department_code: str | None, display_name: str, must_change_password: bool,
           password: str) -> None:
    """Create a staff account with one role."""
    department = None
    if department_code:
        department = db.session.scalar(select(Department).where(Department.code == department_code))
        if department is None:
            raise click.ClickException(f"no department has the code {department_code!r}")
    try:
        with force_locale("en"):  # the shell speaks English, like the rest of the CLI
            user = create_user(username, password, Role(role), display_name=display_name, department=department,
                               must_change_password=must_change_password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"created {user.username} ({user.role.value})")


@users_cli.command("list")
def list_users() -> None:
    """List staff accounts and their roles."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        scope = f" {user.department.code}" if user.department else ""
        state = "" if user.active else " (inactive)"
        state += " (must change password)" if user.must_change_password else ""
        state += " (two-factor)" if user.two_factor_enabled else ""
        click.echo(f"{user.username:<20} {user.role.value}{scope}{state}")


@users_cli.command("reset-two-factor")
@click.argument("username")
def reset_two_factor(username: str) -> None:
    """Remove an account's second factor (the last administrator lost the phone): its sessions end, and it sets
    one up again at the next login."""
    user = find_account(username)
    if user is None:
        raise click.ClickException(f"no account is named {username!r}")
    try:
        with force_locale("en"):
            two_factor.reset(user, actor=None)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"two-factor authentication of {user.username} reset: it sets it up again at the next login")
