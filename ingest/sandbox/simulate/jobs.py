"""Request-style demand: AI batch jobs, LLM requests (which are also AI batch jobs of pipeline `llm`) and
BYOC jobs with their auth, payment and orchestrator-relayed events (reference-behaviour.md §1.6, §3.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Any

from ingest.sandbox.simulate.arrivals import Weighted, arrival_times
from ingest.sandbox.simulate.clock import iso_hour
from ingest.sandbox.simulate.scenario import Gateway, Orchestrator, Scenario
from ingest.sandbox.simulate.supply import BATCH_PRICE, BYOC_PRICE, LLM_PRICE, worker_url
from ingest.sandbox.simulate.wire import Emitter, hex_id

OUTCOMES = ("success", "failure", "no_orchestrator")
_NO_ORCH_ERROR = "no orchestrators available"
_BATCH_ERRORS = ("ai worker returned status 500", "context deadline exceeded")
_BYOC_ERRORS = ("worker returned 503 Service Unavailable", "context deadline exceeded")
_ERROR_TYPES = {"success": "", "failure": "orchestrator_error", "no_orchestrator": "no_orchestrators"}
_PAYMENT_CYCLE_MS = 50_000
_FIRST_JOB_OFFSET_MS = 1_000
_COVERAGE_SPACING_MS = 7_000


@dataclass(frozen=True)
class _Offer:
    orch: Orchestrator
    model: str
    index: int  # the offer's position among the orchestrator's BYOC offers (its worker)


class RequestLedger:
    """Per hour of completion: (window_start, org, gateway, capability_family, capability_name, model_id)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, ...], list] = {}

    def add(
        self,
        ts: int,
        org: str,
        gateway: str,
        family: str,
        name: str,
        model: str,
        outcome: str,
        selected: bool,
        duration_ms: int,
    ) -> None:
        row = self._rows.setdefault((iso_hour(ts), org, gateway, family, name, model), [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += selected
        row[2] += outcome == "no_orchestrator"
        row[3] += outcome == "success"
        row[4] += duration_ms

    def truth(self) -> list[dict[str, Any]]:
        names = ("window_start", "org", "gateway", "capability_family", "capability_name", "model_id")
        metrics = ("job_count", "selected_count", "no_orch_count", "success_count", "duration_ms_sum")
        return [
            {**dict(zip(names, key, strict=True)), **dict(zip(metrics, row, strict=True))}
            for key, row in sorted(self._rows.items())
        ]


class JobWriter:
    def __init__(self, em: Emitter, rng: Random, scenario: Scenario, ledger: RequestLedger) -> None:
        self.em, self.rng, self.scenario, self.ledger = em, rng, scenario, ledger
        self.gateways = Weighted(scenario.gateways, [g.weight for g in scenario.gateways])
        advertised = [o for o in scenario.orchestrators if o.advertised]
        self.batch = _offers(advertised, lambda o: [(b.name, b.model) for b in o.batch])
        self.llm = _offers(advertised, lambda o: [(m, m) for m in o.llm_models])
        self.byoc = _offers(advertised, lambda o: [(b.name, b.model) for b in o.byoc])

    def run(self, scale: float, coverage: bool) -> None:
        demand, start, end = self.scenario.demand, self.em.start_ms + _FIRST_JOB_OFFSET_MS, self.em.end_ms
        if coverage:
            self._coverage(start)
        for pipeline, per_hour in demand.ai_batch.per_hour.items():
            for t in arrival_times(self.rng, per_hour * scale, start, end, demand):
                self.batch_job(t, pipeline, self._outcome(demand.ai_batch.no_orchestrator_rate))
        for model, per_hour in demand.llm.per_hour.items():
            for t in arrival_times(self.rng, per_hour * scale, start, end, demand):
                streaming = self.rng.random() < demand.llm.streaming_share
                self.llm_request(t, model, self._outcome(demand.llm.no_orchestrator_rate), streaming)
        for capability, per_hour in demand.byoc.per_hour.items():
            for t in arrival_times(self.rng, per_hour * scale, start, end, demand):
                streaming = self.rng.random() < demand.byoc.streaming_share
                self.byoc_job(t, capability, self._outcome(demand.byoc.no_orchestrator_rate), streaming)

    def _coverage(self, start: int) -> None:
        """One of each job outcome, so a short run still shows every subtype."""
        demand, t = self.scenario.demand, start
        for pipeline in list(demand.ai_batch.per_hour)[:1]:
            for outcome in OUTCOMES:
                self.batch_job(t, pipeline, outcome)
                t += _COVERAGE_SPACING_MS
        for model in list(demand.llm.per_hour)[:1]:
            for outcome, streaming in (("success", True), ("success", False), ("failure", True)):
                self.llm_request(t, model, outcome, streaming)
                t += _COVERAGE_SPACING_MS
        for capability in list(demand.byoc.per_hour)[:1]:
            for outcome, streaming in (("success", True), ("failure", False), ("no_orchestrator", False)):
                self.byoc_job(t, capability, outcome, streaming)
                t += _COVERAGE_SPACING_MS

    def _outcome(self, no_orchestrator_rate: float) -> str:
        # A failure is decided later from the serving orchestrator's profile.
        return "no_orchestrator" if self.rng.random() < no_orchestrator_rate else "success"

    def _serve(self, offers: dict[str, Weighted[_Offer]], name: str, outcome: str) -> tuple[_Offer, str]:
        offer = offers[name].pick(self.rng)
        if outcome == "success" and self.rng.random() < offer.orch.profile.job_failure:
            outcome = "failure"
        return offer, outcome

    def _emit(self, gw: Gateway, family: str, ts: int, subtype: str, **fields: Any) -> dict[str, Any] | None:
        """Emit one event whose payload carries its own `timestamp` (int ms) and `type` (the subtype)."""
        return self.em.emit(gw.topic, family, ts, gw.address, {**fields, "timestamp": ts, "type": subtype})

    # -- AI batch and LLM -------------------------------------------------------------------------------
    def batch_job(self, t: int, pipeline: str, outcome: str) -> None:
        rng = self.rng
        offer = None
        if outcome != "no_orchestrator":
            offer, outcome = self._serve(self.batch, pipeline, outcome)
            duration_ms = _positive(rng, offer.orch.profile.job_ms.mean, offer.orch.profile.job_ms.stddev)
        else:
            duration_ms = rng.randint(200, 1_500)
        model = (offer or self.batch[pipeline].items[0]).model
        gw = self.gateways.pick(rng)
        self._batch_events(t, gw, pipeline, model, self.em.new_id(), offer, outcome, duration_ms)

    def _batch_events(
        self,
        t: int,
        gw: Gateway,
        pipeline: str,
        model: str,
        request_id: str,
        offer: _Offer | None,
        outcome: str,
        duration_ms: int,
    ) -> None:
        """ai_batch_request received → completed; LLM requests are batch jobs of pipeline `llm` too."""
        rng = self.rng
        request = {"model_id": model, "pipeline": pipeline, "request_id": request_id}
        client_ip = f"203.0.113.{rng.randint(1, 254)}"  # documentation range (RFC 5737)
        self._emit(
            gw,
            "ai_batch_request",
            t,
            "ai_batch_request_received",
            **request,
            client_ip=client_ip,
            orchestrator="",
        )
        done = t + duration_ms
        completed = self._emit(
            gw,
            "ai_batch_request",
            done,
            "ai_batch_request_completed",
            **request,
            duration_ms=duration_ms,
            error=_error_text(rng, outcome, _BATCH_ERRORS),
            error_type=_ERROR_TYPES[outcome],
            latency_score=round(rng.uniform(0.2, 1.0), 4) if offer else 0,
            orch_url=offer.orch.uri if offer else "",
            price_per_unit=(LLM_PRICE if pipeline == "llm" else BATCH_PRICE) if offer else 0,
            success=outcome == "success",
            tries=1 if outcome == "success" else rng.randint(1, 3),
        )
        if completed is not None:
            self.ledger.add(
                done, gw.org, gw.address, "builtin", pipeline, model, outcome, offer is not None, duration_ms
            )

    def llm_request(self, t: int, model: str, outcome: str, streaming: bool) -> None:
        rng = self.rng
        gw = self.gateways.pick(rng)
        offer = None
        if outcome != "no_orchestrator":
            offer, outcome = self._serve(self.llm, model, outcome)
        request_id = self.em.new_id()
        max_tokens = rng.choice((256, 512, 1024))
        completion = 0 if outcome != "success" else rng.randint(16, max_tokens)
        prompt = rng.randint(20, 800)
        tps = rng.uniform(25.0, 90.0)
        ttft = rng.randint(80, 900)
        duration_ms = ttft + int(1000 * completion / tps) + rng.randint(5, 50)
        self._batch_events(t, gw, "llm", model, request_id, offer, outcome, duration_ms + 10)
        if offer is None:
            return  # no orchestrator: the LLM request never started
        request = {
            "model": model,
            "orch_url": offer.orch.uri,
            "request_id": request_id,
            "streaming": streaming,
        }
        self._emit(
            gw, "ai_llm_request", t + 5, "llm_request_started", **request, max_tokens_requested=max_tokens
        )
        fields: dict[str, Any] = {
            "completion_tokens": completion,
            "finish_reason": _finish_reason(outcome, completion, max_tokens),
            "latency_score": round(rng.uniform(0.2, 1.0), 4),
            "max_tokens_requested": max_tokens,
            "price_per_unit": LLM_PRICE,
            "prompt_tokens": prompt,
            "token_utilization": round(completion / max_tokens, 4),
            "tokens_per_second": round(tps, 3) if completion else 0,
            "total_duration_ms": duration_ms,
            "total_tokens": prompt + completion,
        }
        if streaming:
            fields["ttft_ms"] = ttft
            fields["error"] = "" if outcome == "success" else rng.choice(_BATCH_ERRORS)
        subtype = "llm_stream_completed" if streaming else "llm_request_completed"
        self._emit(gw, "ai_llm_request", t + 5 + duration_ms, subtype, **request, **fields)

    # -- BYOC -------------------------------------------------------------------------------------------
    def byoc_job(self, t: int, capability: str, outcome: str, streaming: bool) -> None:
        """submit → discovery → token fetch → auth → attempts → payments; a failed first attempt is
        retried once, and each attempt is its own job_gateway_completed row (§3.6: one job per attempt)."""
        rng, emit = self.rng, self._emit
        gw = self.gateways.pick(rng)
        emit(
            gw,
            "job_gateway",
            t,
            "job_gateway_submitted",
            capability=capability,
            request_id="",
            streaming=streaming,
        )
        found = 0 if outcome == "no_orchestrator" else rng.randint(1, 4)
        at = t + rng.randint(5, 40)
        emit(
            gw,
            "job_gateway",
            at,
            "job_orchestrator_discovery_result",
            capability=capability,
            latency_ms=at - t,
            orchestrators_found=found,
        )
        if outcome == "no_orchestrator":
            done = at + rng.randint(1, 20)
            self._byoc_completed(gw, done, capability, "", None, "no_orchestrator", streaming, 0, done - t)
            return
        offer, outcome = self._serve(self.byoc, capability, outcome)
        orch, info = offer.orch, {"address": offer.orch.address.lower(), "url": offer.orch.uri}
        at += rng.randint(20, 120)
        emit(
            gw,
            "job_gateway",
            at,
            "job_orchestrator_token_fetch_result",
            capability=capability,
            available_capacity=rng.randint(1, 4),
            latency_ms=at - t,
            orchestrator_info=info,
            success=True,
        )
        emit(
            gw,
            "job_auth",
            at + 3,
            "job_credential_verify_result",
            capability=capability,
            orchestrator_info=info,
            success=True,
        )
        stream_id = f"byoc-{hex_id(rng)}"
        if streaming:
            # The webhook result names no capability (as in the producer docs), only the pipeline.
            emit(
                gw,
                "job_auth",
                at + 5,
                "job_auth_webhook_result",
                error="",
                gateway_host=f"gateway-{gw.org}.example",
                pipeline=capability,
                pipeline_id="",
                stream_id=stream_id,
                stream_name=f"{capability}-{hex_id(rng, 6)}",
                success=True,
            )
        payment = {
            "capability": capability,
            "orchestrator_addr": orch.address.lower(),
            "sender": gw.broadcaster,
        }
        emit(gw, "job_payment", at + 8, "payment_created", **payment, with_tickets=True)
        attempts = ["failure", "success"] if outcome == "failure" and rng.random() < 0.5 else [outcome]
        start = at + 10
        for attempt, result in enumerate(attempts):
            if streaming and result == "success":
                duration = rng.randint(30_000, 600_000)
                for cycle in range(start + _PAYMENT_CYCLE_MS, start + duration, _PAYMENT_CYCLE_MS):
                    emit(gw, "job_payment", cycle, "payment_stream_cycle", **payment, stream_id=stream_id)
            else:
                duration = _positive(rng, orch.profile.job_ms.mean, orch.profile.job_ms.stddev)
            done = start + duration
            self._byoc_completed(
                gw, done, capability, offer.model, info, result, streaming, attempt, duration
            )
            emit(
                gw,
                "job_orchestrator",
                done - 2,
                "job_orchestrator_request_completed",
                capability=capability,
                charged_compute=result == "success",
                duration_ms=duration - 5,
                http_status=200 if result == "success" else 503,
                price_per_unit=BYOC_PRICE,
                success=result == "success",
                worker_url=worker_url(orch, offer.index),
            )
            start = done + rng.randint(50, 500)
        emit(
            gw,
            "job_payment",
            start,
            "payment_balance_sync",
            **payment,
            balance=str(rng.randint(10**15, 10**17)),
            diff=str(-rng.randint(10**12, 10**14)),
            min_bal_covered=True,
            reset_to_zero=False,
        )

    def _byoc_completed(
        self,
        gw: Gateway,
        done: int,
        capability: str,
        model: str,
        info: dict[str, str] | None,
        outcome: str,
        streaming: bool,
        attempt: int,
        duration: int,
    ) -> None:
        fields: dict[str, Any] = {
            "attempt_index": attempt,
            "capability": capability,
            "completed_at": done,
            "duration_ms": duration,
            "error": _error_text(self.rng, outcome, _BYOC_ERRORS),
            "orchestrator_info": info or {"address": "", "url": ""},
            "request_id": "",
            "streaming": streaming,
            "success": outcome == "success",
        }
        if outcome == "success":
            fields["http_status"] = 200  # present on the success path only (§1.6)
        if self._emit(gw, "job_gateway", done, "job_gateway_completed", **fields) is not None:
            selected = info is not None
            self.ledger.add(done, gw.org, gw.address, "byoc", capability, model, outcome, selected, duration)


def _offers(orchs: list[Orchestrator], served: Any) -> dict[str, Weighted[_Offer]]:
    """name -> weighted servers, in the scenario's orchestrator order."""
    by_name: dict[str, tuple[list[_Offer], list[float]]] = {}
    for orch in orchs:
        for index, (name, model) in enumerate(served(orch)):
            offers, weights = by_name.setdefault(name, ([], []))
            offers.append(_Offer(orch, model, index))
            weights.append(orch.weight)
    return {name: Weighted(offers, weights) for name, (offers, weights) in by_name.items()}


def _error_text(rng: Random, outcome: str, failures: tuple[str, ...]) -> str:
    if outcome == "no_orchestrator":
        return _NO_ORCH_ERROR
    return rng.choice(failures) if outcome == "failure" else ""


def _finish_reason(outcome: str, completion: int, max_tokens: int) -> str:
    if outcome != "success":
        return "error"
    return "length" if completion == max_tokens else "stop"


def _positive(rng: Random, mean: float, stddev: float) -> int:
    return max(50, int(rng.gauss(mean, stddev)))
