"""`lvyue demo`."""

from __future__ import annotations

import click

from engine.cli.app import app
from engine.errors import ExitCode
from engine.i18n import _


def make_demo() -> click.Command:
    @click.command(name="demo", help=_("Run the main job on shipped sample data, then verify "
                                       "the audit trail."))
    @click.pass_context
    def demo(ctx: click.Context) -> None:
        from engine.audit.verify import verify_all
        from engine.services.demo import run_demo

        context = app(ctx)
        store = context.store(create=True)
        click.echo(_("Database: {url}").format(url=store.engine.url.render_as_string(
            hide_password=True)))
        run_demo(store, click.echo, context.now() if context.now_text else None)
        with store.read() as session:
            report = verify_all(session)
        if not report.ok:
            for broken in report.breaks:
                click.echo(_("BROKEN: {number} at #{seq} ({problem})").format(
                    number=broken.contract_number, seq=broken.seq, problem=broken.problem))
            raise click.exceptions.Exit(ExitCode.VERIFICATION_FAILED)
        click.echo(_("Audit verify: OK: {contracts} contracts, {rows} history rows, every chain "
                     "intact.").format(contracts=report.contracts, rows=report.rows))

    return demo
