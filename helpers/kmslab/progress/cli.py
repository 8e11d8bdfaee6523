"""`python -m kmslab progress`: a learner's table, a reset, or a class's tables and grid."""
from __future__ import annotations

import argparse
from pathlib import Path

from . import course, report, store


def add_parser(commands) -> None:
    parser = commands.add_parser("progress", help="what you have done: lab tasks and lessons run to the end",
                                 description=__doc__)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--reset", action="store_true", help="forget your progress and start again")
    what.add_argument("--class", dest="places", nargs="+", type=Path, metavar="DIR",
                      help="learners' home folders (or a folder of them, such as /home on a hub)")
    parser.add_argument("--figure", type=Path, metavar="PNG",
                        help="also draw learners by tasks in this PNG file")


def run(args: argparse.Namespace) -> int:
    if args.reset:
        old = store.remove()
        if old is None:
            print(f"No progress to reset ({store.progress_file()}).")
        else:
            print(f"Progress reset: {len(old['checks'])} checked tasks and {len(old['lessons'])} lessons "
                  f"forgotten ({store.progress_file()}).")
        return 0
    the_course = course.load()
    if args.places:
        learners = report.find_learners(args.places)
        print(report.class_report(learners, the_course))
    else:
        learners = [report.read_learner(store.progress_file(), "you")]
        if learners[0].problem and learners[0].problem.startswith("missing"):
            learners = [report.Learner("you", learners[0].path, data=store.empty())]
        print(f"Your progress ({store.progress_file()})")
        print(report.learner_table(learners[0], the_course))
    if args.figure:
        from .figure import class_grid

        print(f"Figure: {class_grid(learners, the_course, args.figure)}")
    return 0 if any(not learner.problem for learner in learners) else 1
