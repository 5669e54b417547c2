"""The command-line edge: click commands parse, call services, render, map exit codes."""

from __future__ import annotations

from collections.abc import Sequence

import click

from engine.i18n import set_language


def build_cli() -> click.Group:
    """Build the command tree; help texts are translated when this runs."""
    from engine.cli.admin_cmds import make_audit_group, make_db_group, make_org_group
    from engine.cli.app import make_root
    from engine.cli.contract_cmds import make_group as make_contract_group
    from engine.cli.demo_cmd import make_demo
    from engine.cli.notify_cmds import make_group as make_notify_group
    from engine.cli.plan_cmds import make_plans, make_task_done
    from engine.cli.process_cmds import make_group as make_process_group
    from engine.cli.worker_cmd import make_worker

    root = make_root()
    for command in (make_process_group(), make_contract_group(), make_org_group(),
                    make_db_group(), make_audit_group(), make_demo()):
        root.add_command(command)

    from engine.cli.approval_cmds import register as register_approval_commands

    register_approval_commands(root)
    _add_obligation_commands(root)
    for command in (make_notify_group(), make_plans(), make_worker()):
        root.add_command(command)
    tasks = root.commands["tasks"]
    assert isinstance(tasks, click.Group)
    tasks.add_command(make_task_done())
    return root


def _add_obligation_commands(root: click.Group) -> None:
    """Add the commands of events, imports, the clock and KPI reports."""
    from engine.cli.clock_cmds import make_replay, make_tick
    from engine.cli.event_cmds import make_record
    from engine.cli.import_cmds import make_import
    from engine.cli.report_cmds import make_report_group

    contract_group = root.commands["contract"]
    assert isinstance(contract_group, click.Group)
    contract_group.add_command(make_record())
    contract_group.add_command(make_import())
    root.add_command(make_tick())
    root.add_command(make_replay())
    root.add_command(make_report_group())


def main(argv: Sequence[str] | None = None) -> int:
    import sys

    from engine.cli.app import scan_language

    args = list(sys.argv[1:] if argv is None else argv)
    language = scan_language(args)
    if language:
        set_language(language)
    return build_cli().main(args=args, prog_name="lvyue", standalone_mode=False)
