"""Command-line tools: `flask users …`, `flask demo`, `flask audit …`, `flask pool …`, `flask questionnaire …`, `flask draw …`, `flask scores …`,
`flask casework …`, `flask backup …`, `flask retention …`, `flask phones …`, `flask policy …`."""


def register(app) -> None:
    from app.cli.audit import audit_cli
    from app.cli.backup import backup_cli
    from app.cli.casework import casework_cli
    from app.cli.demo import demo_command
    from app.cli.draw import draw_cli
    from app.cli.phones import phones_cli
    from app.cli.pool import pool_cli
    from app.cli.questionnaire import questionnaire_cli
    from app.cli.retention import retention_cli
    from app.cli.scores import scores_cli
    from app.cli.sms import sms_cli
    from app.cli.users import users_cli
    from app.cli.worker import worker_command

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(pool_cli)
    app.cli.add_command(questionnaire_cli)
    app.cli.add_command(draw_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(sms_cli)
    app.cli.add_command(scores_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(phones_cli)
    app.cli.add_command(casework_cli)
    from app.cli.profiles import profiles_cli
    app.cli.add_command(profiles_cli)

    # Last: `flask policy match|push` join the `policy` group registered above, or make it.
    from app.cli.policy_push import add_push_commands
    add_push_commands(app.cli)
