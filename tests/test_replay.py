"""`sandbox replay`: arrival order, pacing against deadlines, and real sinks: a mosquitto started here (restarted
mid-replay), a local HTTP collector that fails at first, and the throwaway PostgreSQL. Outputs are read back
with other clients (DuckDB over the Parquet files, paho as the subscriber, psql)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

import sandbox
from sandbox.replay import Window, replay
from tests.mqtt_broker import Broker, free_port


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("replay") / "plant"
    sandbox.build("iot", out, rows=2, seed=3)
    return out


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    running = Broker(tmp_path, free_port()).start()
    yield running
    running.stop()


def _replay(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "sandbox", "replay", *args], capture_output=True, check=True)


def test_speed_0_to_stdout_is_every_row_in_arrival_order_and_the_same_every_run(plant: Path) -> None:
    first = _replay(str(plant), "-t", "readings", "--speed", "0")
    again = _replay(str(plant), "-t", "readings", "--speed", "0")
    assert first.stdout == again.stdout
    rows = [json.loads(line) for line in first.stdout.splitlines()]
    received = [r["received_at"] for r in rows]
    assert received == sorted(received)  # ISO 8601 UTC text sorts as the instants do
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    parquet = con.execute(f"""select sensor_id, strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ'),
        strftime(received_at, '%Y-%m-%dT%H:%M:%S.%fZ'), value, quality
        from '{plant}/tables/readings/*/*.parquet' order by all""").fetchall()
    replayed = sorted((r["sensor_id"], r["ts"], r["received_at"], r["value"], r["quality"]) for r in rows)
    assert len(rows) == len(parquet) > 100_000
    assert replayed == sorted(parquet, key=lambda r: (r[0], r[1], r[2], r[3] if r[3] == r[3] else 0, r[4] or ""))
    assert b"replayed " in first.stderr and b"rows of readings to stdout" in first.stderr


def test_pacing_plays_two_hours_in_a_second_and_keeps_to_the_deadlines(plant: Path, tmp_path: Path) -> None:
    """Two hours of readings at --speed 7200 take 1 s +- 20%; at about 1,000 rows/s the p99 lateness against
    the rows' absolute deadlines stays under 50 ms."""
    options = {"overwrite": True}
    fast = replay(plant, "readings", str(tmp_path / "a.jsonl"), speed=7200, window=_hours(plant, 2), options=options)
    assert fast.paced_seconds == pytest.approx(1.0, rel=0.2)
    steady = replay(plant, "readings", str(tmp_path / "b.jsonl"), speed=3000, window=_hours(plant, 1), options=options)
    assert steady.rows / steady.paced_seconds == pytest.approx(1000, rel=0.25)
    assert steady.lateness["p99"] < 0.05, steady.lateness


def _hours(plant: Path, hours: int) -> Window:
    from sandbox.output.opened import open_sandbox
    from sandbox.replay.order import window_of

    return window_of(open_sandbox(plant), "readings", "received_at", None, f"+{hours}h", None)


class _Subscriber:
    """A paho subscriber with a persistent session (QoS 1), so a broker restart loses none of its messages."""

    def __init__(self, port: int) -> None:
        import paho.mqtt.client as mqtt

        self.got: list[tuple[str, bytes]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-subscriber", clean_session=False)
        self.client.reconnect_delay_set(0.05, 0.5)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe("plant/#", qos=1)
        self.client.on_message = lambda c, u, m: self.got.append((m.topic, m.payload))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        time.sleep(0.3)

    def wait_for(self, count: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while len({p for _, p in self.got}) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        self.client.disconnect()
        self.client.loop_stop()


def test_2000_readings_reach_an_mqtt_subscriber_through_a_broker_restart(plant: Path, broker: Broker) -> None:
    subscriber = _Subscriber(broker.port)
    to = f"mqtt://127.0.0.1:{broker.port}/plant/{{sensor_id}}"
    done: dict[str, object] = {}
    thread = threading.Thread(
        target=lambda: done.update(r=replay(plant, "readings", to, speed=600, window=Window(limit=2000)))
    )
    thread.start()
    time.sleep(1.0)  # mid-replay (2,000 readings at this speed take ~6 s)
    broker.stop()
    time.sleep(0.5)
    broker.start()
    thread.join(60)
    subscriber.wait_for(2000)
    result = done["r"]
    assert result.rows == result.delivered == 2000  # type: ignore[attr-defined]
    payloads = {p for _, p in subscriber.got}
    assert len(payloads) == 2000  # QoS 1 is at least once: a redelivered message is the same payload
    sample = json.loads(next(iter(payloads)))
    assert (f"plant/{sample['sensor_id']}", json.dumps(sample, separators=(",", ":")).encode()) in subscriber.got


def test_a_broker_that_stays_away_is_exit_3_saying_what_was_delivered(plant: Path, broker: Broker) -> None:
    broker.stop()
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "replay", str(plant), "-t", "readings", "--speed", "0", "--limit", "10",
         "--to", f"mqtt://127.0.0.1:{broker.port}/plant/x"], capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 3 and f"mqtt://127.0.0.1:{broker.port}: could not connect" in result.stderr


class _Collector(BaseHTTPRequestHandler):
    bodies: list[list[dict[str, object]]] = []
    refusals = 2

    def do_POST(self) -> None:  # noqa: N802  (the http.server hook)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).refusals:
            type(self).refusals -= 1
            self.send_response(503)
        else:
            type(self).bodies.append(json.loads(body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


def test_http_posts_json_batches_and_retries_a_collector_that_fails_at_first(plant: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/collect"
        done = replay(plant, "readings", url, speed=0, window=Window(limit=1200))
    finally:
        server.shutdown()
        server.server_close()
    assert done.delivered == 1200 and [len(b) for b in _Collector.bodies] == [500, 500, 200]
    assert set(_Collector.bodies[0][0]) == {"sensor_id", "ts", "received_at", "value", "quality"}


def test_postgresql_gets_the_rows_inserted_as_their_time_comes(plant: Path, sandbox_postgres: str) -> None:
    done = replay(plant, "readings", sandbox_postgres, speed=0, window=Window(limit=3000), options={"schema": "live"})
    out = subprocess.run(["psql", sandbox_postgres, "-Atc", "select count(*), max(received_at) from live.readings"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    count, latest = out.stdout.strip().split("|")
    assert ":***@" in done.to and sandbox_postgres.split(":")[2].split("@")[0] not in done.to
    assert int(count) == done.delivered == 3000 and latest.startswith(str(done.last)[:19].replace("T", " "))
