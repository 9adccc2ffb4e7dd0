"""Live-video probabilistic payments: `create_new_payment` refills and their `create_signed_ticket` twins.

Wire shape from the 2026-01-08 capture (reference-behaviour.md §1.6): every value is a string; the first
payment of a payment session carries requestID and manifestID "35_<model>", refills carry requestID ""
and an opaque manifestID but the same sessionID.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from random import Random

from ingest.sandbox.simulate.clock import iso_z
from ingest.sandbox.simulate.scenario import Gateway, Orchestrator
from ingest.sandbox.simulate.wire import Emitter, hex_id

# Face value and win probability co-vary so the expected value per ticket stays ~2.4e12 wei (capture).
_TICKET_PARAMS = (("2402400000000000", "0.0009990010"), ("2400000000000000", "0.0010000000"))
# Refill offsets after the first payment: two quick top-ups, then one every ~54 s (capture cadence).
_REFILL_OFFSETS_MS = (6_000, 12_000)
_REFILL_PERIOD_MS = 54_000
_FIRST_PAYMENT_DELAY_MS = 262
# Gateways pay slightly above the advertised price (capture: 1635.021 paid vs 1618 advertised).
_PRICE_MARKUP = 1.010520
_PIXELS_PER_SECOND = 30 * 512 * 512


@dataclass(frozen=True)
class LivePayer:
    """Who pays whom for one stream; one instance per (session, orchestrator leg)."""

    topic: str
    org: str
    gateway: Gateway
    orch: Orchestrator
    stream_id: str
    request_id: str
    model: str


class PaymentLedger:
    """Per (org, recipient) totals of the payments actually emitted, for the ground truth."""

    def __init__(self) -> None:
        # (org, recipient, winProb) -> [payment events, tickets, face value x tickets]; exact integers,
        # the expected value is formed once per winProb at the end.
        self._totals: dict[tuple[str, str, str], list[int]] = {}

    def add(self, org: str, recipient: str, face_wei: int, win_prob: str, tickets: int) -> None:
        row = self._totals.setdefault((org, recipient.lower(), win_prob), [0, 0, 0])
        row[0] += 1
        row[1] += tickets
        row[2] += face_wei * tickets

    def truth(self) -> list[dict]:
        merged: dict[tuple[str, str], list] = {}
        for (org, recipient, win_prob), (events, tickets, face) in sorted(self._totals.items()):
            row = merged.setdefault((org, recipient), [0, 0, 0, Fraction(0)])
            row[0] += events
            row[1] += tickets
            row[2] += face
            row[3] += Fraction(win_prob) * face
        return [
            {
                "org": org,
                "orchestrator_address": recipient,
                "payment_events": row[0],
                "tickets": row[1],
                "face_value_total_wei": row[2],
                "expected_value_wei": float(row[3]),
            }
            for (org, recipient), row in merged.items()
        ]


def emit_live_payments(
    em: Emitter,
    rng: Random,
    ledger: PaymentLedger,
    payer: LivePayer,
    start_ms: int,
    end_ms: int,
    pm_session: str,
) -> None:
    """Emit the payments of one payment session (one orchestrator leg) over [start_ms, end_ms)."""
    orch, gw = payer.orch, payer.gateway
    times = [start_ms + _FIRST_PAYMENT_DELAY_MS]
    times += [times[0] + offset for offset in _REFILL_OFFSETS_MS]
    while times[-1] + _REFILL_PERIOD_MS < end_ms:
        times.append(times[-1] + _REFILL_PERIOD_MS + rng.randint(-40, 40))
    manifest = hex_id(rng)
    price = orch.price_wei_per_pixel * _PRICE_MARKUP
    balance = 0
    previous, previous_text = start_ms, iso_z(start_ms)
    for sequence, ts in enumerate(times):
        if ts >= end_ms:
            break
        first = sequence == 0
        face, win_prob = _TICKET_PARAMS[rng.getrandbits(1)]
        tickets = 2 if first else 1
        data = {
            "capability": "",
            "clientIP": "",
            "faceValue": f"{face} WEI",
            "manifestID": f"35_{payer.model}" if first else manifest,
            "numTickets": str(tickets),
            "orchestrator": orch.uri,
            "price": f"{price:.3f} wei/pixel",
            "recipient": orch.address,
            "requestID": payer.request_id if first else "",
            "sender": gw.broadcaster,
            "sessionID": pm_session,
            "winProb": win_prob,
        }
        if em.emit(payer.topic, "create_new_payment", ts, gw.address, data) is not None:
            ledger.add(payer.org, orch.address, int(face), win_prob, tickets)
        billable_ms = ts - previous
        current_text = iso_z(ts)
        pixels = billable_ms * _PIXELS_PER_SECOND // 1000
        fee = int(pixels * price)
        balance += int(face) * tickets // 1000 - fee
        ticket = {
            "billable_secs": round(billable_ms / 1000, 3),
            "computed_fee": str(fee),
            "cost_per_pixel": f"{price:.3f}",
            "current_time": current_text,
            "current_time_unix": ts,
            "manifest_id": data["manifestID"],
            "num_tickets": tickets,
            "orch_address": orch.address.lower(),
            "orch_url": orch.uri,
            "pipeline": payer.model,
            "pixels": pixels,
            "pm_session_id": pm_session,
            "previous_time": previous_text,
            "previous_time_unix": previous,
            "request_id": payer.request_id,
            "sequence_number": sequence,
            "session_balance": str(balance),
            "session_id": payer.stream_id,
            "session_status": "new" if first else "continuing",
        }
        em.emit(payer.topic, "create_signed_ticket", ts + 1, gw.address, ticket)
        previous, previous_text = ts, current_text
