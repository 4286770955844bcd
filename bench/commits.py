"""Benchmark: how long a one-row commit takes on this PostgreSQL server, nothing else.

    python -m bench.commits [--database-url postgresql+asyncpg://...] [--commits 3000]

The floor under a tap's answer on PostgreSQL: a *Done* is stored by one statement that
commits, and the commit waits for the server's write-ahead log to reach the disk. The
echo bot in `bench.overhead` stores nothing, so where this machine's disk is slow now
and then, the coach's p99 is too (README, Benchmarks, stops 17 and 18). This makes one
table, updates one row of it `--commits` times with a pause between (a lone person's
taps, not a load), first with `synchronous_commit` on (the server's default, and the
bot's) and then off (no wait for the disk: what the commit costs without it), prints
the latencies of each, and drops the table. Only asyncpg, so no code of the bot's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

import asyncpg
from sqlalchemy.engine import make_url

TABLE = "bench_commits"


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(database_url: str, commits: int, every: float) -> None:
    url = make_url(database_url)
    connection = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await connection.execute(f"CREATE TABLE {TABLE} (id int PRIMARY KEY, taps int)")
        await connection.execute(f"INSERT INTO {TABLE} VALUES (1, 0)")
        for mode in ("on", "off"):
            await connection.execute(f"SET synchronous_commit = {mode}")
            took: list[float] = []
            for _ in range(commits):
                started = time.perf_counter()
                await connection.execute(f"UPDATE {TABLE} SET taps = taps + 1 WHERE id = 1")
                took.append(time.perf_counter() - started)
                await asyncio.sleep(every)
            took.sort()
            slow = sum(1 for t in took if t > 0.02)
            print(
                f"synchronous_commit {mode:>3}: {commits} commits, "
                f"p50 {percentile(took, 0.5) * 1000:.2f} ms, "
                f"p99 {percentile(took, 0.99) * 1000:.2f} ms, "
                f"p99.9 {percentile(took, 0.999) * 1000:.1f} ms, "
                f"max {took[-1] * 1000:.1f} ms, over 20 ms: {slow}"
            )
    finally:
        await connection.execute(f"DROP TABLE IF EXISTS {TABLE}")
        await connection.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--every", type=float, default=0.01, help="seconds between commits")
    args = parser.parse_args()
    asyncio.run(main(args.database_url, args.commits, args.every))
