"""Helpers shared by the Python tests and benchmarks (standard library only)."""
import os
import signal
import sys
import unittest


def die_with_parent():
    """In a child process (preexec_fn): SIGTERM when the parent dies, even if it is killed before it
    can stop the child itself (Linux prctl PR_SET_PDEATHSIG; elsewhere nothing)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def run_unittests(module_globals, default_so):
    """`python3 test_x.py [path/to/cfregions.so] [unittest options]`: sets the module's SO_PATH from
    the first argument, then runs its tests."""
    args = sys.argv[1:]
    so_path = default_so
    if args and not args[0].startswith("-"):
        so_path = os.path.abspath(args.pop(0))
    if not os.path.exists(so_path):
        sys.exit("usage: %s path/to/cfregions.so [unittest options]" % sys.argv[0])
    module_globals["SO_PATH"] = so_path
    unittest.main(argv=[sys.argv[0]] + args)
