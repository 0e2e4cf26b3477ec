"""`python -m sandbox serve ...`: the sandbox process that `ledgerlink sandbox up` starts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sandbox.options import SandboxOptions
from sandbox.runner import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="serve the emulators until stopped")
    run.add_argument("--data-dir", type=Path, required=True)
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--scale", type=float, default=1.0)
    run.add_argument("--ready-file", type=Path, required=True)
    run.add_argument("--options", default="{}", help="SandboxOptions as JSON (default world)")
    args = parser.parse_args()
    serve(
        args.data_dir,
        seed=args.seed,
        scale=args.scale,
        options=SandboxOptions.from_dict(json.loads(args.options)),
        ready_file=args.ready_file,
    )


if __name__ == "__main__":
    main()
