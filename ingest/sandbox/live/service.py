"""`naap run`: the warehouse as a live service, on the embedded defaults or against a real cluster.

On the embedded defaults it starts the embedded broker, loads a simulated history that ends now
(unless the lake already holds one from an earlier `naap run`), and starts a live feed. In both
modes it then makes the first load itself (ingest, build, publish: one line each), and serves:
one Dagster code server, the daemon that ticks micro-batches from it (NAAP_MICROBATCH_CRON,
every minute by default), the Dagster UI and the explorer, and one line per finished run says
what it did.

Ctrl-C or SIGTERM stops every process it started within 20 s; a child that dies stops the rest
(one line says which and why). The lake, warehouse and publication are crash-safe on their own
(a killed batch or build is redone by the next one), and runs left unfinished in Dagster's
storage are marked failed, so the next start picks up where this one stopped.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import yaml

from ingest.paths import (
    DAGSTER_INSTANCE_SETTINGS,
    dagster_home,
    database_path,
    dbt_dir,
    logs_dir,
    publish_dir,
    warehouse_path,
)
from ingest.publication.publish import publish
from ingest.pull.once import ingest_once
from ingest.sandbox.broker import EmbeddedBroker
from ingest.sandbox.live.processes import Child, Children, describe_exit
from ingest.sandbox.replay import produce_records
from ingest.settings import Settings, SettingsError
from ingest.warehouse.build import build

# Marks a lake that `naap run` filled from its own simulated feed, so `--fresh` may delete it;
# a lake without it may hold real data and is never deleted.
DEMO_MARKER = ".embedded-run"
CODE_LOCATION_MODULE = "orchestration.definitions"
STARTUP_TIMEOUT_S = 180.0
LOCALHOST = "127.0.0.1"
POLL_S = 0.5


class ServiceStopped(BaseException):
    """SIGINT or SIGTERM: unwinds whatever `naap run` is doing to its clean-up."""


def run_service(settings: Settings, args: argparse.Namespace) -> int:
    for port in (args.port, args.dagster_port):
        require_free_port(args.host, port)
    started = time.monotonic()
    children = Children(logs_dir(settings))
    broker: EmbeddedBroker | None = None
    home = prepare_dagster_home(settings)
    _on_stop_signals(_raise_stopped)
    try:
        if settings.kafka.bootstrap_servers:
            print(f"run: ingesting from {settings.kafka.bootstrap_servers}; data in {settings.data_dir}")
            live_from = None
        else:
            simulate_history = prepare_demo_lake(settings, args.fresh)
            broker = EmbeddedBroker(log_path=children.log_dir / "broker.log")
            children.log_dir.mkdir(parents=True, exist_ok=True)
            broker.start(own_session=True)
            children.adopt(Child("the embedded broker", broker.process, broker.log_path))
            broker.create_topics(settings.topics)
            kafka = dataclasses.replace(settings.kafka, bootstrap_servers=broker.bootstrap_servers)
            settings = dataclasses.replace(settings, kafka=kafka)
            print(f"run: embedded broker on {broker.bootstrap_servers}; data in {settings.data_dir}")
            live_from = load_history(settings, args) if simulate_history else _now_ms()
        env = service_environment(settings, home)
        left = _fail_unfinished_runs(home)
        if left:
            print(f"run: {left} run(s) left unfinished by an earlier stop marked failed")
        # The UI reads run storage only, so it and the code server start while the first load runs.
        workspace, code_server = start_code_server(children, env, home)
        start_webserver(children, env, args, workspace)
        if database_path(settings).exists():
            # A restart: the explorer serves the last publication, the first tick adds what is new.
            print("run: serving the last publication; the first micro-batch ingests what is new")
        else:
            initial_load(settings)
        if live_from is not None:
            feed = [sys.executable, "-m", "ingest.sandbox.live.feed", "--scenario", args.scenario,
                    "--seed", str(args.seed), "--scale", str(args.scale * args.live_rate),
                    "--from-ms", str(live_from)]  # fmt: skip
            children.start("the live feed", "feed", feed, env)
        # A daemon started before its code server answers would miss its first ticks.
        wait_until_answering(children, {"the Dagster code server": accepts_connections(code_server)})
        start_daemon_and_explorer(children, env, args, workspace)
        ui, explorer = f"http://{args.host}:{args.dagster_port}", f"http://{args.host}:{args.port}"
        answering = {
            "the Dagster UI": answers_http(ui + "/server_info"),
            "the explorer": answers_http(explorer + "/-/versions.json"),
        }
        wait_until_answering(children, answering)
        print(f"run: Dagster UI  {ui}  (DAGSTER_HOME={home})")
        print(f"run: explorer    {explorer}/  (dashboards at /-/dashboards, freshness at /healthz)")
        print(f"run: micro-batches {env['NAAP_MICROBATCH_CRON']!r} (UTC); Ctrl-C stops everything")
        sys.stdout.flush()
        return watch(children, home, ui, settings)
    except ServiceStopped:
        print("run: stopping", flush=True)
        return 0
    finally:
        _on_stop_signals(signal.SIG_IGN)
        stop_started = time.monotonic()
        killed = children.stop()
        if broker is not None:
            broker.stop()
        failed = _fail_unfinished_runs(home)
        note = f"; killed after the grace period: {', '.join(killed)}" if killed else ""
        note += f"; {failed} unfinished run(s) marked failed" if failed else ""
        print(f"run: stopped in {time.monotonic() - stop_started:.1f} s after {_minutes(started)}{note}")
        _on_stop_signals(signal.SIG_DFL)


def watch(children: Children, home: Path, ui: str, settings: Settings) -> int:
    """Print each finished run until a stop signal (raises ServiceStopped) or a dead child (exit 1)."""
    from dagster import DagsterInstance

    from ingest.sandbox.live.batches import RunWatcher

    with DagsterInstance.from_config(str(home)) as instance:
        watcher = RunWatcher(instance, publish_dir(settings))
        while True:
            for line in watcher.new_lines():
                print(line.text(ui), flush=True)
            dead = children.first_dead()
            if dead is not None:
                report_dead(dead)
                return 1
            time.sleep(POLL_S)


def report_dead(child: Child) -> None:
    last = child.last_log_line()
    why = f": {last[:200]}" if last else ""
    print(
        f"run: error: {child.name} {describe_exit(child.exited() or 0)}{why} (log {child.log}); "
        "stopping everything",
        flush=True,
    )


def start_code_server(children: Children, env: dict[str, str], home: Path) -> tuple[Path, tuple[str, int]]:
    """One long-lived Dagster code server for the daemon and the webserver: its workspace file and address.

    `dagster-daemon run -m ...` would start a code server of its own and, as Dagster's daemon
    does, replace it every 60 s: a new process loading the code location (about 8 s of CPU, a
    minute, beside the micro-batch it launched). A server of our own is only asked for its
    definitions again.
    """
    port = free_local_port()
    server = [
        _beside_python("dagster"),
        "api",
        "grpc",
        "-m",
        CODE_LOCATION_MODULE,
        "-h",
        LOCALHOST,
        "-p",
        str(port),
    ]
    children.start("the Dagster code server", "code-server", server, env)
    workspace = home / "workspace.yaml"
    location = {"host": LOCALHOST, "port": port, "location_name": CODE_LOCATION_MODULE}
    workspace.write_text(yaml.safe_dump({"load_from": [{"grpc_server": location}]}))
    return workspace, (LOCALHOST, port)


def start_webserver(
    children: Children, env: dict[str, str], args: argparse.Namespace, workspace: Path
) -> None:
    port = str(args.dagster_port)
    webserver = [_beside_python("dagster-webserver"), "-w", str(workspace), "-h", args.host, "-p", port]
    children.start("the Dagster webserver", "dagster-webserver", webserver, env)


def start_daemon_and_explorer(
    children: Children, env: dict[str, str], args: argparse.Namespace, workspace: Path
) -> None:
    daemon = [_beside_python("dagster-daemon"), "run", "-w", str(workspace)]
    children.start("the Dagster daemon", "dagster-daemon", daemon, env)
    explorer = [sys.executable, "-m", "ingest.cli", "serve", "--host", args.host, "--port", str(args.port)]
    children.start("the explorer", "explorer", explorer, env)


def answers_http(url: str) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code < 500
        except httpx.TransportError:
            return False

    return probe


def accepts_connections(address: tuple[str, int]) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            socket.create_connection(address, timeout=1).close()
            return True
        except OSError:
            return False

    return probe


def wait_until_answering(children: Children, probes: dict[str, Callable[[], bool]]) -> None:
    """Until every named child's probe succeeds; a child that dies or a timeout stops the start."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    waiting = dict(probes)
    while waiting:
        dead = children.first_dead()
        if dead is not None:
            report_dead(dead)
            raise SettingsError(f"{dead.name} did not start; see {dead.log}")
        for name, probe in list(waiting.items()):
            if probe():
                del waiting[name]
        if time.monotonic() > deadline:
            raise SettingsError(f"{', '.join(waiting)} did not answer within {STARTUP_TIMEOUT_S:.0f} s")
        time.sleep(POLL_S)


def initial_load(settings: Settings) -> None:
    """The first ingest, build and publish, one line each, before the schedule takes over."""
    _stage("ingest")
    ingested = ingest_once(settings)
    print(
        f"{ingested.consumed:,} consumed = {ingested.accepted:,} accepted + {ingested.quarantined:,} "
        f"quarantined in {ingested.elapsed_s:.1f} s"
    )
    log = logs_dir(settings) / "build.log"
    _stage("build")
    built = build(settings, log=log)
    models = sum(n for (kind, status), n in built.statuses.items() if kind == "model" and status == "success")
    tests = sum(n for (kind, status), n in built.statuses.items() if kind == "test" and status == "pass")
    print(f"{models} models, {tests} tests passed in {built.elapsed_s:.1f} s (dbt output in {log})")
    _stage("publish")
    published = publish(settings)
    print(
        f"{len(published.table_rows)} tables, {sum(published.table_rows.values()):,} rows in "
        f"{published.elapsed_s:.1f} s; data clock {published.status.get('data_clock') or '-'}"
    )


def load_history(settings: Settings, args: argparse.Namespace) -> int:
    """Simulate `--hours` ending now and produce it all; the end (epoch ms), where the live feed starts."""
    from ingest.sandbox.simulate import load_scenario, simulate

    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(hours=args.hours)
    _stage("simulate")
    t0 = time.monotonic()
    result = simulate(
        load_scenario(args.scenario), start=start, hours=args.hours, seed=args.seed, scale=args.scale
    )
    print(
        f"{args.hours:g} h of '{args.scenario}' up to {end:%Y-%m-%d %H:%M:%S}Z (seed {args.seed}, "
        f"scale {args.scale:g}): {len(result.records):,} records in {time.monotonic() - t0:.1f} s"
    )
    _stage("produce")
    produced = produce_records(result.records, settings.kafka)
    print(f"{produced.sent:,} messages ({produced.bytes / 1e6:,.1f} MB) in {produced.duration_s:.1f} s")
    return int(end.timestamp() * 1000)


def prepare_demo_lake(settings: Settings, fresh: bool) -> bool:
    """Whether to simulate a history: yes for an empty data dir or `--fresh`, no to continue one."""
    lake = settings.lake_dir
    has_lake = lake.exists() and any(p.name != DEMO_MARKER for p in lake.iterdir())
    if has_lake and not (lake / DEMO_MARKER).exists():
        raise SettingsError(
            f"{lake} already holds a lake that `naap run` did not create; "
            "set NAAP_DATA_DIR to another folder for the embedded run"
        )
    if has_lake and not fresh:
        print(f"run: continuing the simulated history in {settings.data_dir} (--fresh starts over)")
        return False
    if has_lake:
        print(f"run: --fresh: deleting the previous embedded run's data in {settings.data_dir}")
        for path in (lake, publish_dir(settings), dbt_dir(settings), dagster_home(settings)):
            shutil.rmtree(path, ignore_errors=True)
        for path in settings.data_dir.glob(f"{warehouse_path(settings).name}*"):
            path.unlink()
    lake.mkdir(parents=True, exist_ok=True)
    (lake / DEMO_MARKER).write_text("created by `naap run` on the embedded broker\n")
    return True


def prepare_dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME under the data dir, with the project's instance settings when it has none."""
    home = dagster_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(DAGSTER_INSTANCE_SETTINGS, home / "dagster.yaml")
    return home


def service_environment(settings: Settings, home: Path) -> dict[str, str]:
    from orchestration.schedules import DEFAULT_MICROBATCH_CRON

    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "NAAP_DATA_DIR": str(settings.data_dir),
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers or "",
        "NAAP_MICROBATCH_CRON": os.environ.get("NAAP_MICROBATCH_CRON") or DEFAULT_MICROBATCH_CRON,
    }


def free_local_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOCALHOST, 0))
        return probe.getsockname()[1]


def require_free_port(host: str, port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SettingsError(f"cannot serve on {host}:{port}: {exc.strerror}") from None


def _fail_unfinished_runs(home: Path) -> int:
    from dagster import DagsterInstance

    from ingest.sandbox.live.batches import fail_unfinished_runs

    if not (home / "dagster.yaml").exists():
        return 0
    with DagsterInstance.from_config(str(home)) as instance:
        return fail_unfinished_runs(instance, "the service was stopped while this run was unfinished")


def _beside_python(command: str) -> str:
    return str(Path(sys.executable).parent / command)


def _stage(name: str) -> None:
    print(f"run: {name}: ", end="", flush=True)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _minutes(since: float) -> str:
    return f"{(time.monotonic() - since) / 60:.1f} min"


def _raise_stopped(signum: int, _frame: object) -> None:
    raise ServiceStopped(signal.Signals(signum).name)


def _on_stop_signals(handler: object) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)  # type: ignore[arg-type]
