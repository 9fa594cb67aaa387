"""Where `sandbox replay` sends rows: `-` (JSON lines on stdout), a file, `mqtt://HOST:PORT/TOPIC` (paho-mqtt;
the topic a template of columns, QoS and retain as options), `http(s)://...` (JSON arrays POSTed in batches,
like a tracking collector, with retries and backoff) and `postgresql://...` (rows inserted and committed as
their time comes, for change-data-capture and incremental pipelines). A sink that cannot deliver after its
retries raises `ReplayFailed` (exit 3) saying what was delivered."""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.errors import MissingExtra, SandboxError, UsageError
from sandbox.load.targets import masked
from sandbox.replay.encode import topic_fields, topics


class ReplayFailed(SandboxError):
    """A sink could not deliver (exit 3)."""

    exit_code = 3


def raw(lines: pa.Array) -> bytes:
    """The concatenated UTF-8 bytes of a string array (one copy, not one per value)."""
    if not len(lines):
        return b""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=lines.offset * 4)
    return bytes(memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])])


@dataclass
class Stream:
    """JSON lines to stdout or a file."""

    out: IO[bytes]
    closes: bool = False
    delivered: int = 0
    where: str = "stdout"

    def send(self, lines: pa.Array, batch: pa.RecordBatch) -> None:
        self.out.write(raw(pc.binary_join_element_wise(lines, "\n", "")))
        self.out.flush()
        self.delivered += len(lines)

    def close(self) -> None:
        if self.closes:
            self.out.close()


@dataclass
class Mqtt:
    """One message per row (QoS 0, 1 or 2), topic from the template. The client's network loop runs in this
    thread, between publishes and while the pacer waits (paho's own loop thread was 3x slower here, fighting
    for the GIL); a lost connection is retried for `retry_for` seconds, and paho resends what the broker had
    not acknowledged."""

    host: str
    port: int
    template: str
    qos: int = 1
    retain: bool = False
    retry_for: float = 30.0
    delivered: int = 0
    client: Any = None
    published: int = 0
    #: Publishes between turns of the network loop.
    every: int = 200
    #: Messages sent and not yet acknowledged, at most (QoS 1 and 2).
    window: int = 1000

    def open(self, columns: list[str]) -> Mqtt:
        try:
            import paho.mqtt.client as mqtt
        except ImportError:
            raise MissingExtra("replay", "paho-mqtt") from None
        missing = [f for f in topic_fields(self.template) if f not in columns]
        if missing:
            raise UsageError(
                f"--to: the topic names {', '.join(missing)}, not columns of the table ({', '.join(columns)})"
            )
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"sandbox-replay-{id(self):x}", clean_session=False
        )
        # paho's own window (max_inflight) rescans its whole outgoing queue on every acknowledgement: 4.7 of
        # 26 s in a profile of 200,000 messages. So paho sends at once (0: no window, no rescan) and `send`
        # keeps at most `window` messages unacknowledged itself.
        self.client.max_inflight_messages_set(0)
        self.client.max_queued_messages_set(0)
        self.client.on_publish = lambda c, u, mid, rc, p: self._acked()
        try:
            self.client.connect(self.host, self.port, keepalive=10)
        except OSError as error:
            raise ReplayFailed(f"mqtt://{self.host}:{self.port}: could not connect: {error}") from None
        deadline = time.monotonic() + 10
        while not self.client.is_connected():
            if time.monotonic() > deadline:
                raise ReplayFailed(f"mqtt://{self.host}:{self.port}: the broker did not accept the connection in 10 s")
            self.idle(0.05)
        return self

    def _acked(self) -> None:
        self.delivered += 1

    def idle(self, seconds: float) -> None:
        """Turn the network loop for up to `seconds` (acknowledgements, keep-alives); reconnect if it is lost."""
        from paho.mqtt.client import MQTT_ERR_SUCCESS

        if self.client.loop(seconds) == MQTT_ERR_SUCCESS:
            return
        lost, wait = time.monotonic(), 0.1
        while time.monotonic() - lost < self.retry_for:
            time.sleep(wait)
            try:
                if self.client.reconnect() == MQTT_ERR_SUCCESS and self.client.loop(0.5) == MQTT_ERR_SUCCESS:
                    return
            except OSError:
                pass
            wait = min(wait * 2, 2.0)
        raise ReplayFailed(
            f"mqtt://{self.host}:{self.port}: the broker has been gone for {self.retry_for:.0f} s; "
            f"{self.delivered:,} of {self.published:,} messages were acknowledged"
        )

    def send(self, lines: pa.Array, batch: pa.RecordBatch) -> None:
        names = topics(self.template, batch)
        payloads = lines.to_pylist()
        many = names.to_pylist() if isinstance(names, pa.Array) else [names] * len(payloads)
        for i, (topic, payload) in enumerate(zip(many, payloads, strict=True)):
            self.client.publish(topic, payload, qos=self.qos, retain=self.retain)
            if i % self.every == self.every - 1:
                self.idle(0)
                while self.qos and self.published + i + 1 - self.delivered >= self.window:
                    self.idle(0.01)
        self.published += len(payloads)
        self.idle(0)

    def close(self) -> None:
        """Wait for the broker to acknowledge everything published (QoS 1 and 2), reconnecting if need be."""
        if not self.qos:
            self.delivered = self.published
        while self.delivered < self.published:
            self.idle(0.01)
        self.client.disconnect()


@dataclass
class Http:
    """JSON arrays POSTed, up to `batch_rows` rows each; a failed POST is retried with backoff."""

    url: str
    retries: int = 5
    delivered: int = 0
    batch_rows: int = 500

    def send(self, lines: pa.Array, batch: pa.RecordBatch) -> None:
        for start in range(0, len(lines), self.batch_rows):
            part = lines.slice(start, self.batch_rows)
            self._post(b"[" + b",".join(v.encode("utf-8") for v in part.to_pylist()) + b"]")
            self.delivered += len(part)

    def _post(self, body: bytes) -> None:
        wait = 0.2
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(
                self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    if answer.status < 300:
                        return
                    problem = f"HTTP {answer.status}"
            except urllib.error.HTTPError as error:
                error.close()
                if error.code < 500 and error.code != 429:  # the collector refuses these rows: no retry helps
                    raise ReplayFailed(
                        f"{masked(self.url)}: HTTP {error.code}; {self.delivered:,} rows delivered"
                    ) from None
                problem = f"HTTP {error.code}"
            except (urllib.error.URLError, OSError) as error:
                problem = str(getattr(error, "reason", error))
            if attempt < self.retries:
                time.sleep(wait)
                wait *= 2
        raise ReplayFailed(
            f"{masked(self.url)}: {problem} after {self.retries} retries; {self.delivered:,} rows delivered"
        )

    def close(self) -> None:
        return None


@dataclass
class Postgres:
    """Rows inserted into SCHEMA.TABLE (created like `sandbox load` creates it, if missing) and committed as
    their time comes."""

    url: str
    table: Any
    schema: str
    delivered: int = 0
    conn: Any = None

    def open(self) -> Postgres:
        from sandbox.load import ddl, postgres

        try:
            self.conn = postgres.connect(self.url)
            with self.conn.cursor() as cur:
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {ddl.quoted(self.schema)}")
                cur.execute(
                    ddl.create_table(self.table, self.schema, "postgresql", False).replace(
                        "CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1
                    )
                )
            self.conn.commit()
        except SandboxError:
            raise
        except Exception as error:
            raise ReplayFailed(f"{masked(self.url)}: {' '.join(str(error).split())}") from None
        return self

    def send(self, lines: pa.Array, batch: pa.RecordBatch) -> None:
        plain = pa.record_batch(
            [c.dictionary_decode() if pa.types.is_dictionary(c.type) else c for c in batch.columns],
            names=batch.schema.names,
        )
        try:
            with self.conn.cursor() as cur:
                cur.adbc_ingest(self.table.name, plain, mode="append", db_schema_name=self.schema)
            self.conn.commit()
        except Exception as error:
            raise ReplayFailed(
                f"{masked(self.url)}: {' '.join(str(error).split())}; {self.delivered:,} rows delivered"
            ) from None
        self.delivered += batch.num_rows

    def close(self) -> None:
        self.conn.close()


def sink_for(to: str, columns: list[str], options: dict[str, Any]) -> Any:
    """The sink `--to` names."""
    if to == "-":
        return Stream(sys.stdout.buffer)
    scheme = to.partition("://")[0].lower() if "://" in to else ""
    if scheme == "mqtt":
        parts = urlsplit(to)
        if not parts.hostname or not parts.path.strip("/"):
            raise UsageError(
                f"--to {to}: expected mqtt://HOST:PORT/TOPIC (the topic may name columns: plant/{{sensor_id}})"
            )
        return Mqtt(parts.hostname, parts.port or 1883, parts.path.lstrip("/"), options["qos"], options["retain"],
                    options["retry_for"]).open(columns)  # fmt: skip
    if scheme in ("http", "https"):
        return Http(to, options["retries"])
    if scheme in ("postgresql", "postgres"):
        return Postgres(to, options["table_plan"], options["schema"]).open()
    if scheme:
        raise UsageError(f"--to {masked(to)}: expected -, a file, mqtt://, http(s):// or postgresql://")
    path = Path(to)
    if path.exists() and not options.get("overwrite"):
        raise UsageError(f"--to {to}: expected a new file, got one that exists (pass --overwrite to replace it)")
    return Stream(path.open("wb"), closes=True, where=str(path))
