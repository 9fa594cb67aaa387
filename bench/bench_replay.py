"""Benchmark `sandbox replay` (issue #28): `--speed 0` to stdout in rows/s, and to a local mosquitto against
`mosquitto_pub`'s own rate for the same messages, in the same run.

    python bench/bench_replay.py [--devices N] [--messages N]

The iot recipe is built at N devices (20 by default: about 2,000,000 readings over its 7 days). Stdout: the
whole table replayed at speed 0 into a pipe that `wc -c` drains, timed as a whole process (start-up, DuckDB's
sort, JSON encoding, writing). MQTT: the first M readings (200,000) as QoS 1 messages to a mosquitto started
here on a free port, topic `plant/{sensor_id}`, a subscriber counting them; `mosquitto_pub -l -q 1` publishes
the same JSON lines (written out by a first replay, untimed) to one topic from stdin. Each side is timed from
its start to the subscriber holding every message (the replay has exited by then: it waits for every
acknowledgement).
"""

from __future__ import annotations

import argparse
import getpass
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sandbox

PY = sys.executable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _broker(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    (folder / "m.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nuser {getpass.getuser()}\nmax_queued_messages 0\n"
    )
    proc = subprocess.Popen([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(folder / "m.conf")])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("mosquitto did not start")


def _timed_to_subscriber(port: int, count: int, publish: list[str], stdin: Path | None = None) -> float:
    """Seconds from starting `publish` until a subscriber (mosquitto_sub, QoS 1) holds `count` messages. A
    `stdin` file is fed and then held open: mosquitto_pub 2.0.11 `-l` exits at the end of its input before
    its queue is out (of 200,000 lines, 3,403 reached the subscriber), so it runs until the subscriber is
    done, and is stopped then."""
    sub = subprocess.Popen(
        ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", "plant/#", "-q", "1", "-C", str(count)],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    started = time.perf_counter()
    if stdin is not None:
        feed = ["sh", "-c", f"cat '{stdin}'; sleep 600"]
        feeder = subprocess.Popen(feed, stdout=subprocess.PIPE)
        publisher = subprocess.Popen(publish, stdin=feeder.stdout, stdout=subprocess.DEVNULL)
    else:
        feeder, publisher = None, subprocess.Popen(publish, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        sub.wait(300)
        return time.perf_counter() - started
    finally:
        for proc in (publisher, feeder, sub):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--messages", type=int, default=200_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-replay-"))
    try:
        plant = folder / "plant"
        sandbox.build("iot", plant, rows=args.devices, seed=1, workers=2)
        rows = sandbox.open_sandbox(plant).manifest["tables"]["readings"]["rows"]
        started = time.perf_counter()
        replayed = subprocess.Popen([PY, "-m", "sandbox", "replay", str(plant), "-t", "readings", "--speed", "0",
                                     "-q"], stdout=subprocess.PIPE)  # fmt: skip
        size = int(subprocess.run(["wc", "-c"], stdin=replayed.stdout, capture_output=True, text=True).stdout)
        replayed.wait()
        stdout_s = time.perf_counter() - started
        print("| case | messages | sandbox replay | baseline | ratio |")
        print("| --- | ---: | ---: | ---: | ---: |")
        print(f"| `--speed 0` to stdout, iot {args.devices} devices | {rows:,} | {stdout_s:.2f} s "
              f"({rows / stdout_s:,.0f} rows/s, {size / stdout_s / 1e6:.0f} MB/s) | - | - |")  # fmt: skip
        lines = folder / "lines.jsonl"
        base = [PY, "-m", "sandbox", "replay", str(plant), "-t", "readings", "--speed", "0", "--limit"]
        subprocess.run([*base, str(args.messages), "-q", "--to", str(lines)], check=True)
        broker, port = _broker(folder)
        try:
            to = f"mqtt://127.0.0.1:{port}/plant/{{sensor_id}}"
            ours = _timed_to_subscriber(port, args.messages, [*base, str(args.messages), "-q", "--to", to])
            pub = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-t", "plant/x", "-l"]
            theirs = _timed_to_subscriber(port, args.messages, pub, stdin=lines)
        finally:
            broker.terminate()
            broker.wait()
        n = args.messages
        print(f"| MQTT QoS 1 to a local mosquitto | {n:,} | {ours:.2f} s ({n / ours:,.0f} msg/s) "
              f"| mosquitto_pub -l: {theirs:.2f} s ({n / theirs:,.0f} msg/s) | {ours / theirs:.2f}x |")  # fmt: skip
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
