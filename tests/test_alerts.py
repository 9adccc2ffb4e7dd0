"""The alerts sensor against a real Dagster instance and a real local HTTP receiver.

A small code location of its own (an asset, a check whose outcome the test sets, a job whose
run the test fails) carries the project's real `alerts_sensor`; its evaluations are the
daemon's, called with `build_sensor_context` on the instance the runs were recorded in.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from ingest.alerts import webhook
from ingest.alerts.incidents import read_incidents
from orchestration.resources import WarehouseResource
from orchestration.sensors import alerts_sensor

OUTCOME = {"passed": True, "fail_run": False}
SECRET = "T000/B000/very-secret-token"


@dg.asset
def thing() -> int:
    if OUTCOME["fail_run"]:
        raise RuntimeError("the build broke")
    return 1


@dg.asset_check(asset=thing, description="thing is fine")
def thing_is_fine() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=OUTCOME["passed"],
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"measured": 0.2, "limit": 0.1},
    )


thing_job = dg.define_asset_job("micro_batch", selection=dg.AssetSelection.all())
DEFS = dg.Definitions(assets=[thing], asset_checks=[thing_is_fine], jobs=[thing_job], sensors=[alerts_sensor])


class Receiver(ThreadingHTTPServer):
    """Records each JSON body POSTed; answers 200, or 500, or not at all (`mode`)."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.mode = "ok"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if receiver.mode == "hang":
                    time.sleep(3)
                    return
                if receiver.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.bodies.append(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/{SECRET}"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.shutdown()


@pytest.fixture
def instance():
    OUTCOME.update(passed=True, fail_run=False)
    with dg.instance_for_test() as instance:
        yield instance


class Watch:
    """The sensor's successive evaluations, its cursor carried from one to the next."""

    def __init__(self, instance: dg.DagsterInstance, data_dir: Path) -> None:
        self.instance, self.data_dir, self.cursor = instance, data_dir, None

    def evaluate(self) -> str:
        resource = WarehouseResource(data_dir=str(self.data_dir), kafka_bootstrap_servers="")
        with dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            repository_def=DEFS.get_repository_def(),
            resources={"warehouse": resource},
        ) as context:
            result = alerts_sensor(context)
            self.cursor = context.cursor
        return result.skip_message

    def incidents(self) -> list[dict] | None:
        return read_incidents(self.data_dir / "publish")


def materialize(instance: dg.DagsterInstance) -> bool:
    job = DEFS.get_job_def("micro_batch")
    return job.execute_in_process(instance=instance, raise_on_error=False).success


def test_one_message_per_incident_one_on_recovery_none_repeated(
    instance, receiver, tmp_path, monkeypatch, capfd
):
    monkeypatch.setenv("NAAP_ALERT_WEBHOOK_URL", receiver.url)
    watch = Watch(instance, tmp_path)
    assert materialize(instance)
    assert watch.evaluate().startswith("0 open incident(s)")
    assert receiver.bodies == [] and watch.incidents() == []

    OUTCOME["passed"] = False
    materialize(instance)
    watch.evaluate()
    [opened] = receiver.bodies
    assert opened["text"] == "[WARN] naap-warehouse check thing_is_fine on thing failed: thing is fine"
    fields = {f["title"]: f["value"] for f in opened["attachments"][0]["fields"]}
    assert fields["incident"] == "check:thing:thing_is_fine"
    assert fields["measured"] == "0.2" and fields["limit"] == "0.1"
    [listed] = watch.incidents()
    assert listed["id"] == "check:thing:thing_is_fine" and listed["severity"] == "WARN"

    # Still failing, evaluated again and re-checked: no second message for the open incident.
    materialize(instance)
    watch.evaluate()
    watch.evaluate()
    assert len(receiver.bodies) == 1

    OUTCOME["passed"] = True
    materialize(instance)
    watch.evaluate()
    assert receiver.bodies[-1]["text"] == (
        "[RESOLVED] naap-warehouse resolved: check thing_is_fine on thing failed: thing is fine"
    )
    assert len(receiver.bodies) == 2 and watch.incidents() == []

    # A failed run is an incident of its own, until a run of its job succeeds.
    OUTCOME["fail_run"] = True
    assert not materialize(instance)
    watch.evaluate()
    assert receiver.bodies[-1]["text"].startswith(
        "[ERROR] naap-warehouse a micro_batch run failed at step thing"
    )
    OUTCOME["fail_run"] = False
    assert materialize(instance)
    watch.evaluate()
    assert receiver.bodies[-1]["text"].startswith(
        "[RESOLVED] naap-warehouse resolved: a micro_batch run failed"
    )
    assert len(receiver.bodies) == 4
    said = capfd.readouterr().err
    assert "[WARN] check thing_is_fine on thing failed" in said and SECRET not in said


def test_the_minimum_severity_filters_and_an_unset_url_sends_nothing(
    instance, receiver, tmp_path, monkeypatch
):
    OUTCOME["passed"] = False
    materialize(instance)
    monkeypatch.setenv("NAAP_ALERT_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("NAAP_ALERT_MIN_SEVERITY", "error")
    watch = Watch(instance, tmp_path)
    assert watch.evaluate().startswith("0 open incident(s)")  # a WARN check under an ERROR floor

    monkeypatch.delenv("NAAP_ALERT_WEBHOOK_URL")
    monkeypatch.delenv("NAAP_ALERT_MIN_SEVERITY")
    assert watch.evaluate() == "1 open incident(s): check:thing:thing_is_fine"
    assert receiver.bodies == []
    assert [i["id"] for i in watch.incidents()] == ["check:thing:thing_is_fine"]

    monkeypatch.setenv("NAAP_ALERT_MIN_SEVERITY", "loud")
    with pytest.raises(Exception, match="NAAP_ALERT_MIN_SEVERITY must be one of WARN, ERROR"):
        watch.evaluate()


@pytest.mark.parametrize("mode", ["error", "hang"])
def test_a_webhook_that_fails_or_hangs_is_retried_later_and_never_named(
    mode, instance, receiver, tmp_path, monkeypatch, capfd
):
    monkeypatch.setattr(webhook, "TIMEOUT_S", 0.5)
    monkeypatch.setenv("NAAP_ALERT_WEBHOOK_URL", receiver.url)
    OUTCOME["passed"] = False
    assert materialize(instance)  # the run itself knows nothing of the webhook
    watch = Watch(instance, tmp_path)
    capfd.readouterr()
    receiver.mode = mode
    started = time.monotonic()
    watch.evaluate()
    assert time.monotonic() - started < 3
    assert receiver.bodies == []
    said = capfd.readouterr().err
    reason = "HTTP 500" if mode == "error" else "did not answer within 0.5 s"
    assert f"{reason}; 1 message(s) will be retried on the next evaluation" in said, said
    assert SECRET not in said

    receiver.mode = "ok"
    watch.evaluate()
    watch.evaluate()
    assert [b["text"][:6] for b in receiver.bodies] == ["[WARN]"]
