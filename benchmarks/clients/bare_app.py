"""The baseline for benchmarks/serve.py: FastAPI + uvicorn around the same booster, nothing else.

It reads the JSON record, codes it into the booster's input row and calls ``booster.predict``: no
validation beyond FastAPI's, no calibration, no policy, no reasons, no log. uvicorn uses httptools and
uvloop (installed with the project), as the service's BentoML workers do. Started by the benchmark
with ``AVSTAND_BARE_BUNDLE`` pointing at the production bundle folder.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import lightgbm as lgb
import numpy as np
import yaml
from fastapi import FastAPI

_BUNDLE = Path(os.environ["AVSTAND_BARE_BUNDLE"])
_BOOSTER = lgb.Booster(model_file=str(_BUNDLE / "booster.txt"))
_SPEC = yaml.safe_load((_BUNDLE / "feature_spec.yaml").read_text(encoding="utf-8"))["features"]
_MODEL = [name for name, f in _SPEC.items() if f.get("model")]
_CODES = {name: {v: i for i, v in enumerate(f["values"])} for name, f in _SPEC.items() if f["type"] == "category"}

app = FastAPI()


@app.post("/score")
async def score(record: dict) -> dict:  # in the event loop: no thread hop, the fastest FastAPI can do
    row = [_CODES[n][record[n]] if n in _CODES else float(record[n]) for n in _MODEL]
    registered, assessed = dt.date.fromisoformat(record["registered_on"]), dt.date.fromisoformat(record["assessed_on"])
    row += [(assessed - registered).days, assessed.month]
    raw = _BOOSTER.predict(np.asarray([row], dtype=np.float32), raw_score=True, num_threads=1)
    return {"probability": float(1 / (1 + np.exp(-raw[0])))}


if __name__ == "__main__":
    # One process per worker, all on one port (SO_REUSEPORT), each with a socket it made itself:
    # `uvicorn --workers N` hands its workers a socket whose protocol field is lost, so asyncio leaves
    # Nagle's algorithm on and every keep-alive answer waits ~40 ms for a delayed ACK. That would make
    # the baseline look slow for a reason that has nothing to do with FastAPI.
    import socket
    import sys

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", int(sys.argv[1])))
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[sock])
