#!/usr/bin/env python3
"""A TCP proxy on loopback that delays every chunk: a network with a round
trip time, for benchmarks (bench/cp_vs_mbsync --rtt).

    delay_proxy.py --target HOST:PORT [--listen HOST:PORT] [--delay-ms 10]
                   [--max-seconds 3600]

Each chunk read from one side is written to the other delay-ms later (in
order; bandwidth is not limited), in both directions, so a request and
its answer take 2 x delay-ms more: --delay-ms 10 is a 20 ms round trip.
Bytes pass through untouched (TLS included: point the client at the
proxy with a name the server's certificate holds).  Prints the port it
listens on as the first line of stdout, then serves until SIGTERM or
max-seconds, whichever comes first (it never outlives a forgotten
benchmark by long).

As a module: `with DelayProxy(target_port, delay_ms=10) as p: p.port`.
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time


async def _pump(reader, writer, delay):
    """Copies reader to writer, each chunk delay seconds after it came."""
    q = asyncio.Queue()

    async def send():
        while True:
            due, data = await q.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                break
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    task = asyncio.ensure_future(send())
    try:
        while True:
            data = await reader.read(1 << 16)
            q.put_nowait((time.monotonic() + delay, data or None))
            if not data:
                break
        await task
    except (OSError, asyncio.IncompleteReadError):
        task.cancel()
    finally:
        if not task.done():
            task.cancel()


async def _serve(listen_host, listen_port, target_host, target_port, delay, max_seconds, ready):
    async def handle(cr, cw):
        try:
            sr, sw = await asyncio.open_connection(target_host, target_port)
        except OSError:
            cw.close()
            return
        try:
            await asyncio.gather(_pump(cr, sw, delay), _pump(sr, cw, delay))
        finally:
            for w in (cw, sw):
                try:
                    w.close()
                except OSError:
                    pass

    server = await asyncio.start_server(handle, listen_host, listen_port)
    ready(server.sockets[0].getsockname()[1])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), max_seconds)
    except asyncio.TimeoutError:
        pass
    server.close()


def _hostport(s):
    host, _, port = s.rpartition(":")
    return host or "127.0.0.1", int(port)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", required=True, help="HOST:PORT to forward to")
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: any free one)")
    ap.add_argument("--delay-ms", type=float, default=10.0, help="per direction (default 10)")
    ap.add_argument("--max-seconds", type=float, default=3600.0, help="stop after this long")
    a = ap.parse_args(argv)
    lh, lp = _hostport(a.listen)
    th, tp = _hostport(a.target)

    def ready(port):
        print(port, flush=True)

    asyncio.run(_serve(lh, lp, th, tp, a.delay_ms / 1000.0, a.max_seconds, ready))


class DelayProxy:
    """Runs the proxy as a child process for the duration of a with-block."""

    def __init__(self, target_port, target_host="127.0.0.1", delay_ms=10.0, max_seconds=3600.0):
        self.args = [sys.executable, os.path.abspath(__file__), "--target", f"{target_host}:{target_port}",
                     "--delay-ms", str(delay_ms), "--max-seconds", str(max_seconds)]
        self.proc = None
        self.port = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            self.proc.kill()
            raise RuntimeError("delay_proxy did not start")
        self.port = int(line)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return False


if __name__ == "__main__":
    main()
