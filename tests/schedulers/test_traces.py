"""Promotion ASHA and synchronous halving against traces worked out by hand from the paper's
pseudo-code (Li et al., MLSys 2020, Algorithm 2: get_job promotes the first not-yet-promoted
member of the top floor(|rung|/eta) of the highest rung below the top, else starts a new one)."""

from __future__ import annotations

from caviar.schedulers import ASHA, Halving, Pause, Promote, Report, Start, Stop
from caviar.space import Float, Space

SPACE = Space({"lr": Float(1e-4, 1e-1, scale="log")})
#: each member's validation value (constant over its epochs, so the trace is easy to follow)
VALUE = {0: 0.5, 1: 0.7, 2: 0.6, 3: 0.9, 4: 0.3, 5: 0.8}


def drive(scheduler, members, max_budget):
    """A minimal engine: running members train one epoch per step, each reports its own epoch
    count; paused members wait; returns the actions after each step."""
    actions = scheduler.start(SPACE, {m: {"lr": 1e-3} for m in members})
    trace = [("start", actions)]
    trained = dict.fromkeys(members, 0)
    running = {a.member for a in actions if isinstance(a, Start)} if any(
        isinstance(a, Start) for a in actions) else set(members)
    step = 0
    while running:
        reports = []
        for m in sorted(running):
            trained[m] += 1
            reports.append(Report(m, trained[m] - 1, VALUE[m], alive=trained[m] < max_budget))
        running -= {m for m in running if trained[m] >= max_budget}
        actions = scheduler.decide(step, reports)
        for a in actions:
            if isinstance(a, Pause | Stop):
                running.discard(a.member)
            elif isinstance(a, Promote | Start):
                running.add(a.member)
        trace.append((step, actions))
        step += 1
    return trace, trained


def test_promotion_asha_follows_the_hand_trace() -> None:
    # eta=2, budgets 1, 2, 4 epochs (rungs 0, 1, 2); 6 members, 2 slots.
    # step | reports (member: epochs, value) | rung 0 / rung 1 after | get_job per free slot
    # start| -                      | -                    | Start 0, Start 1; 2..5 wait
    # 0    | 0:1 .5, 1:1 .7         | {0,1} / {}           | top1(r0)={1} -> Promote 1 to 2;
    #      |                        |                      | {1} used -> Start 2; 0 paused
    # 1    | 1:2 .7, 2:1 .6         | {0,1,2} / {1}        | r1 top0; r0 top1={1} used ->
    #      |                        |                      | Start 3, Start 4; 1, 2 paused
    # 2    | 3:1 .9, 4:1 .3         | {0..4} / {1}         | r0 top2={3,1}: Promote 3 to 2;
    #      |                        |                      | then Start 5; 4 paused
    # 3    | 3:2 .9, 5:1 .8         | {0..5} / {1,3}       | r1 top1={3}: Promote 3 to 4;
    #      |                        |                      | r0 top3={3,5,1}: Promote 5 to 2
    # 4    | 3:3 .9, 5:2 .8         | / {1,3,5}            | r1 top1={3} used, r0 all used,
    #      |                        |                      | no one left: 5 paused
    # 5    | 3:4 .9 (done)          | rung 2 = {3}         | nothing to do: the run ends
    expected = [
        ("start", [Start(0, 1), Start(1, 1), Pause(2), Pause(3), Pause(4), Pause(5)]),
        (0, [Pause(0), Promote(1, 2), Start(2, 1)]),
        (1, [Pause(1), Pause(2), Start(3, 1), Start(4, 1)]),
        (2, [Pause(4), Promote(3, 2), Start(5, 1)]),
        (3, [Promote(3, 4), Promote(5, 2)]),
        (4, [Pause(5)]),
        (5, []),
    ]
    trace, trained = drive(ASHA(eta=2, min_budget=1, max_budget=4, slots=2), range(6), 4)
    assert trace == expected
    # member-epochs: 1 + 2 + 1 + 4 + 1 + 2 = 11, one member reached the full budget
    assert trained == {0: 1, 1: 2, 2: 1, 3: 4, 4: 1, 5: 2}


def test_synchronous_halving_follows_the_hand_trace() -> None:
    # eta=2, budgets 1, 2, 4; members 0..3 with values .5 .7 .6 .9
    # after epoch 1: ranking 3 > 1 > 2 > 0, keep floor(4/2)=2 -> stop 0 and 2
    # after epoch 2: ranking 3 > 1, keep 1 -> stop 1; member 3 trains to 4 epochs
    trace, trained = drive(Halving(eta=2, min_budget=1, max_budget=4), range(4), 4)
    assert trace == [("start", []), (0, [Stop(0), Stop(2)]), (1, [Stop(1)]), (2, []), (3, [])]
    assert trained == {0: 1, 1: 2, 2: 1, 3: 4}


def test_asha_minimize_promotes_the_lowest() -> None:
    s = ASHA(eta=2, min_budget=1, max_budget=2, slots=2)
    s.start(SPACE, {0: {}, 1: {}, 2: {}}, minimize=True)
    acts = s.decide(0, [Report(0, 0, 0.5), Report(1, 0, 0.7)])
    assert Promote(0, 2) in acts and Start(2, 1) in acts and Pause(1) in acts


def test_asha_budgets_cap_at_max() -> None:
    assert ASHA(eta=3, min_budget=1, max_budget=20).budgets == [1, 3, 9, 20]
    assert Halving(eta=3, min_budget=2, max_budget=2).budgets == [2]
