"""A learner's progress: lab tasks right, wrong or not done, and lessons run to the end.

Every lab check records its answer, and the last cell of each lesson calls `lesson_done`, in one
small file in the learner's Jupyter data directory (KMSLAB_PROGRESS_DIR overrides it; the tests
set it). Nothing leaves the machine, and `sb.reset()` does not touch it.

    from kmslab import progress
    progress.lesson_done("03")

    python -m kmslab progress                        # your own table
    python -m kmslab progress --reset                # start again
    python -m kmslab progress --class /home --figure class.png   # an instructor, on a hub
"""
from .record import lesson_done, recorded
from .store import DIR_VARIABLE, progress_file

__all__ = ["DIR_VARIABLE", "lesson_done", "progress_file", "recorded"]
