"""`python -m sandbox serve ...`: the sandbox process that `ledgerlink sandbox up` starts."""

from __future__ import annotations

import argparse
from pathlib import Path

from sandbox.runner import available_emulators, serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="serve the emulators until stopped")
    run.add_argument("--data-dir", type=Path, required=True)
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--scale", type=float, default=1.0)
    run.add_argument("--ready-file", type=Path, required=True)
    run.add_argument("--emulator", action="append", dest="emulators")
    args = parser.parse_args()
    serve(
        args.data_dir,
        seed=args.seed,
        scale=args.scale,
        names=args.emulators or available_emulators(),
        ready_file=args.ready_file,
    )


if __name__ == "__main__":
    main()
