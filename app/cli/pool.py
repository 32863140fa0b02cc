"""`flask pool import|export|stats`: the respondent pool from the shell."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.audit import service as audit
from app.extensions import db
from app.pool import importing as pool_import, service as pool

pool_cli = AppGroup("pool", help="The respondent pool (主体样本库).")


@pool_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report, change nothing.")
@click.option("--only-valid", is_flag=True, help="Import the valid rows even if other rows have errors.")
def import_command(path: Path, dry_run: bool, only_valid: bool) -> None:
    """Check a CSV/XLSX file and import it; exit status 1 when the file has errors."""
    plan = pool_import.check(path.name, path.read_bytes())
    for error in plan.errors:
        click.echo(f"row {error.row}, {error.column or '-'}: {error.reason} [{error.value}]", err=True)
    click.echo(f"{plan.rows_read} rows read: {len(plan.to_add)} to add, {len(plan.to_update)} to update, "
               f"{plan.unchanged} unchanged, {plan.error_rows} with errors")
    if dry_run or (plan.errors and not only_valid):
        if plan.errors and not dry_run:
            click.echo("nothing imported (use --only-valid to import the valid rows)", err=True)
        raise SystemExit(1 if plan.errors else 0)
    result = pool_import.commit(plan, filename=path.name, only_valid_rows=only_valid)
    db.session.commit()
    click.echo(f"imported: {result.added} added, {result.updated} updated, {result.unchanged} unchanged, "
               f"{result.skipped_rows} rows skipped")
    raise SystemExit(1 if plan.errors else 0)


@pool_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_command(path: Path) -> None:
    """Write the pool to a .csv or .xlsx file (phones masked, formula-safe)."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise click.ClickException("the file name must end in .csv or .xlsx")
    path.write_bytes(pool.export_csv() if path.suffix.lower() == ".csv" else pool.export_xlsx())
    audit.record("pool.export", "pool", {"format": path.suffix.lower().lstrip(".")})
    db.session.commit()
    click.echo(f"wrote {path}")


@pool_cli.command("stats")
def stats_command() -> None:
    """Active members per category against the targets."""
    table = pool.composition()
    click.echo(f"{'category':<20} {'active':>7} {'target':>7}")
    for category in table.categories:
        click.echo(f"{category.key:<20} {table.by_category.get(category.id, 0):>7} {category.target:>7}")
    click.echo(f"{'total':<20} {table.total:>7} {table.target_total:>7}")
