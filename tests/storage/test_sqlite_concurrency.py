"""Atomic claims and trial creation on SQLite, from 4 processes at once."""

from __future__ import annotations

import json

CLAIMER = """
import json, sys
from caviar import get_storage
st = get_storage(sys.argv[1])
sid = st.get_study("s").id
sys.stdin.readline()  # start together
claims = [st.claim(sid, "grid", 1) for _ in range(25)]
claims += [st.claim(sid, "grid", 3) for _ in range(5)]
numbers = [t.number for _ in range(10) for t in st.create_trials(sid, 2, cap=60)]
print(json.dumps({"claims": claims, "numbers": numbers}))
"""


def test_four_processes_never_share_an_index(sqlite_url, start):
    from caviar import get_storage

    get_storage(sqlite_url).create_study("s", direction="minimize", sampler={}, space={})
    procs = [start(CLAIMER, sqlite_url, stdin=-1) for _ in range(4)]
    outs = [p.communicate("go\n", timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    got = [json.loads(o[0]) for o in outs]
    singles = [c for g in got for c in g["claims"][:25]]
    starts = [c for g in got for c in g["claims"][25:]]
    taken = singles + [s + k for s in starts for k in range(3)]
    assert sorted(taken) == list(range(4 * (25 + 15)))
    numbers = [n for g in got for n in g["numbers"]]
    assert sorted(numbers) == list(range(60))  # cap=60 of 80 asked; each number once
