"""The ledger part of `lvyue demo`: import the sample invoices, replay them, report KPIs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from engine import EXAMPLES_DIR
from engine.clock import local_text, utcnow
from engine.i18n import _
from engine.reports.kpi import kpi_report
from engine.services.identity import Claim
from engine.services.importing.service import import_file
from engine.services.replay import replay
from engine.services.ticking import last_tick
from engine.store.db import Store

LEDGER_DIR = EXAMPLES_DIR / "accounts-receivable"
SAMPLE_LEDGER = LEDGER_DIR / "sample-invoices.csv"
SAMPLE_MAPPING = LEDGER_DIR / "mapping.yaml"
# The sample's first invoice date and the day its replay ends.
REPLAY_FROM = date(2025, 1, 6)
REPLAY_TO = date(2025, 6, 30)
IMPORTED_BY = "liu_yang"


def run_ledger_demo(store: Store, say: Callable[[str], None]) -> None:
    report = import_file(store, Claim(as_person=IMPORTED_BY), str(SAMPLE_LEDGER),
                         str(SAMPLE_MAPPING), utcnow())
    say(_("Ledger {file}: {created} contracts created, {unchanged} already imported, {events} "
          "payments scheduled.").format(file=SAMPLE_LEDGER.name,
                                        created=len(report.written.created),
                                        unchanged=report.unchanged,
                                        events=report.written.events_added))

    replayed = replay(store, REPLAY_FROM, REPLAY_TO, 1)
    say(_("Replayed {first} to {last}: {events} events applied, {changes} contract changes by "
          "ticks.").format(first=REPLAY_FROM.isoformat(), last=REPLAY_TO.isoformat(),
                           events=replayed.events_applied, changes=replayed.tick_changes))

    now = last_tick(store) or utcnow()
    with store.read() as session:
        total = kpi_report(session, now, process_id="invoice_payment")[0]
    rate = "-" if total.on_time_rate is None else f"{total.on_time_rate:.2%}"
    late = "-" if total.mean_days_late is None else str(total.mean_days_late)
    say(_("KPIs as of {at}: {contracts} contracts, {settled} settled, on-time rate {rate}, "
          "{overdue} ever overdue, {breached} breached, mean days late {late}, outstanding "
          "{outstanding}.").format(at=local_text(now), contracts=total.contracts,
                                   settled=total.settled, rate=rate,
                                   overdue=total.ever_overdue, breached=total.breached,
                                   late=late, outstanding=total.outstanding))
