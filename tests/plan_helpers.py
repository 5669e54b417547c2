"""A process with contingency plans over contract data, and helpers for the plan tests."""

from __future__ import annotations

from pathlib import Path

SUPPLY_PROCESS = """\
process: supply
version: 1
title: {en: Supply contract, zh-CN: 供货合同}
roles:
  sales: {en: Sales manager, zh-CN: 销售经理}
  finance: {en: Finance, zh-CN: 财务}
  legal: {en: Legal counsel, zh-CN: 法务}
  cfo: {en: Chief financial officer, zh-CN: 财务总监}
data:
  type: object
  properties:
    amount: {type: string}
    due_on: {type: string, format: date}
    paid: {type: boolean}
    quality_flag: {type: boolean}
states:
  draft: {initial: true, label: {en: Draft, zh-CN: 草稿}}
  execution: {label: {en: In performance, zh-CN: 履行中}}
  breach: {label: {en: Breach, zh-CN: 违约}}
  terminated: {label: {en: Terminated, zh-CN: 已解除}}
  archived: {final: true, label: {en: Archived, zh-CN: 已归档}}
transitions:
  - {trigger: start, from: draft, to: execution, roles: [sales]}
  - {trigger: update, from: execution, to: execution, roles: [sales, finance]}
  - {trigger: update, from: breach, to: breach, roles: [sales, finance]}
  - {trigger: report_breach, from: execution, to: breach}
  - {trigger: cure, from: breach, to: execution, auto: true, guard: data.paid}
  - {trigger: terminate, from: breach, to: terminated}
  - {trigger: archive, from: [execution, terminated], to: archived, roles: [legal]}
contingency_plans:
  late_payment:
    risk: {en: Customer pays late, zh-CN: 客户逾期付款}
    severity: high
    owner: finance
    contacts: [sales]
    when: '!data.paid && days_between(data.due_on, today) > 30'
    in: [execution]
    fire: report_breach
    measures:
      - {title: {en: Send dunning letter, zh-CN: 发送催款函}, role: finance, due: P3D}
      - {title: {en: Review further deliveries, zh-CN: 评估是否中止履行}, role: sales, due: P7D}
    escalate:
      - {after: P15D, notify: cfo}
      - {after: P60D, task: {title: {en: Lawyer's letter, zh-CN: 发送律师函}, role: legal, due: P5D}}
      - {after: P90D, fire: terminate}
    closes_when: data.paid
  quality_issue:
    risk: {en: Goods fail inspection, zh-CN: 货物检验不合格}
    severity: medium
    owner: sales
    when: has(data.quality_flag) && data.quality_flag
    measures:
      - {title: {en: Inspect the goods, zh-CN: 复检货物}, role: sales, due: P2D}
"""


def write_supply(folder: Path, text: str = SUPPLY_PROCESS) -> Path:
    path = folder / "supply.yaml"
    path.write_text(text, encoding="utf-8")
    return path

# A contract per receivable: a payment obligation due on data.due_on, breach when it
# is more than 30 days overdue, back to performance when it is paid.
RECEIVABLE_PROCESS = """\
process: receivable
version: 1
title: {en: Receivable, zh-CN: 应收款}
roles:
  finance: {en: Finance, zh-CN: 财务}
  sales: {en: Sales manager, zh-CN: 销售经理}
data:
  type: object
  required: [amount, due_on]
  properties:
    amount: {type: string}
    due_on: {type: string, format: date}
events:
  payment_received:
    label: {en: Payment received, zh-CN: 收到回款}
    fields:
      amount: {type: money, required: true}
obligations:
  payment:
    label: {en: Payment, zh-CN: 付款}
    kind: payment
    amount: data.amount
    due: data.due_on
    settled_by: payment_received
states:
  execution: {initial: true, label: {en: In performance, zh-CN: 履行中}}
  breach: {label: {en: Breach, zh-CN: 违约}}
  archived: {final: true, label: {en: Archived, zh-CN: 已归档}}
transitions:
  - {trigger: report_breach, from: execution, to: breach}
  - {trigger: cure, from: breach, to: execution, auto: true, guard: obligations.payment.settled}
  - {trigger: archive, from: execution, to: archived, roles: [finance]}
contingency_plans:
  payment_default:
    risk: {en: Customer pays late, zh-CN: 客户逾期付款}
    severity: high
    owner: finance
    when: obligations.payment.days_overdue > 30
    in: [execution]
    fire: report_breach
    measures:
      - {title: {en: Send dunning letter, zh-CN: 发送催款函}, role: finance, due: P3D}
    closes_when: obligations.payment.days_overdue == 0
"""


def write_receivable(folder: Path) -> Path:
    path = folder / "receivable.yaml"
    path.write_text(RECEIVABLE_PROCESS, encoding="utf-8")
    return path
