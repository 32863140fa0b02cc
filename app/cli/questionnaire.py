"""`flask questionnaire import|export|publish`: questionnaires from the shell, for automation."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.extensions import db
from app.questionnaires import service
from app.questionnaires.models import QuestionnaireVersion

questionnaire_cli = AppGroup("questionnaire", help="Questionnaire versions (问卷).")


def _where(problem) -> str:
    """A problem's location as a person looks for it: sheet and row for XLSForm, the JSON path otherwise."""
    if problem.row:
        column = f", column {problem.column}" if problem.column else ""
        return f"{problem.sheet or 'survey'} row {problem.row}{column}"
    return problem.path or "/"


def _version(version_id: int) -> QuestionnaireVersion:
    version = db.session.get(QuestionnaireVersion, version_id)
    if version is None:
        raise click.ClickException(f"no questionnaire version with id {version_id}")
    return version


@questionnaire_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--questionnaire", "questionnaire_id", type=int, default=None,
              help="Import as a new draft of this questionnaire id (default: a new questionnaire).")
@click.option("--allow-drops", is_flag=True, default=False,
              help="Create the draft without the parts of the file that cannot be imported (device metadata such "
                   "as start/end/deviceid, photos, locations, calculations...); the list is printed either way.")
def import_command(path: Path, questionnaire_id: int | None, allow_drops: bool) -> None:
    """Import a .json, .xlsx or .xls (XLSForm) or .surveyjs.json file as a draft and print the draft's version id.

    The whole file is checked first: a problem refuses it whole, every problem listed by row and column (XLSForm)
    or JSON path (SurveyJS). Parts another tool can ask but this platform cannot (or does not collect) are listed
    with their reason; without --allow-drops nothing is imported (exit status 2), with it the draft is created
    without them.
    """
    from app.questionnaires.models import Questionnaire

    target = None
    if questionnaire_id is not None:
        target = db.session.get(Questionnaire, questionnaire_id)
        if target is None:
            raise click.ClickException(f"no questionnaire with id {questionnaire_id}")
    try:
        version = service.import_file(path.name, path.read_bytes(), questionnaire=target, allow_drops=allow_drops)
    except service.DropsUnconfirmed as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(f"{_where(problem)}: {problem.message}", err=True)
        click.echo(f"nothing imported: {len(exc.problems)} part(s) of {path.name} would be left out; "
                   "run again with --allow-drops to import the rest", err=True)
        raise SystemExit(2)
    except service.DocumentProblems as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(f"{_where(problem)}: {problem.message}", err=True)
        click.echo(f"nothing imported: {len(exc.problems)} problem(s) in {path.name}", err=True)
        raise SystemExit(1)
    except service.BuilderError as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        raise SystemExit(1)
    db.session.commit()
    if allow_drops:
        for problem in service.read_document(path.name, path.read_bytes(), allow_drops=True).dropped:
            click.echo(f"{_where(problem)}: {problem.message}", err=True)
    click.echo(version.id)


@questionnaire_cli.command("export")
@click.argument("version_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_command(version_id: int, path: Path) -> None:
    """Write version VERSION_ID to PATH as .json, .xlsx (XLSForm) or .surveyjs.json (by the name's ending)."""
    version = _version(version_id)
    if path.name.lower().endswith(".xls"):
        raise click.ClickException("the old .xls format is read, not written: name the file .xlsx")
    try:
        exported = service.export(version, service.format_of(path.name))
    except service.BuilderError as exc:
        raise click.ClickException(str(exc)) from None
    path.write_bytes(exported.data)
    click.echo(f"wrote {path}")


@questionnaire_cli.command("publish")
@click.argument("version_id", type=int)
def publish_command(version_id: int) -> None:
    """Validate and publish draft VERSION_ID; exit status 1 listing every problem."""
    version = _version(version_id)
    try:
        service.publish(version)
    except service.DocumentProblems as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(f"{_where(problem)}: {problem.message}", err=True)
        raise SystemExit(1)
    except service.BuilderError as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        raise SystemExit(1)
    db.session.commit()
    click.echo(f"published version {version.number} of questionnaire {version.questionnaire_id} "
               f"(sha256 {version.document_hash})")
