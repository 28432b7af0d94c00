"""Command line for the breakout-rotation planner.

Used as ``rapport plan ...`` through the server CLI (``configure_parser`` + ``run``) and
standalone as ``python -m server.planner.cli ...``.  Exit codes: 0 success, 2 bad input
(the message on stderr names the problem).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from server.domain.common import safe_cell
from server.roster import RosterError, parse_roster_csv

from .engine import plan
from .model import DEFAULT_LEFTOVER, LEFTOVER_RULES, Plan, PlanError, PlanRequest

FORMATS = ("text", "json", "csv", "zoom")
ZOOM_HEADER = ("Pre-assign Room Name", "Email Address")


class CliError(Exception):
    """Bad command-line input; reported on stderr with exit status 2."""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the planner options to ``parser`` (a sub-command parser or a standalone one)."""
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--students", type=int, metavar="N", help="students named 1..N")
    who.add_argument(
        "--roster", metavar="FILE.csv", help="roster CSV (name,email,tags; header optional)"
    )
    rooms = parser.add_mutually_exclusive_group(required=True)
    rooms.add_argument("--size", type=int, metavar="K", help="students per room")
    rooms.add_argument(
        "--rooms", type=int, metavar="M", help="number of rooms (fewer if one would hold one)"
    )
    parser.add_argument(
        "--leftover",
        choices=LEFTOVER_RULES,
        default=DEFAULT_LEFTOVER,
        help="with --size: students who do not fill a room make some rooms smaller (K-1, "
        "the default) or larger (K+1); never a room of one",
    )
    parser.add_argument(
        "--max-size",
        type=int,
        metavar="C",
        help="with --rooms: at most C students per room; the others sit out each rotation "
        "(a different few each time: nobody sits out twice before everyone has once)",
    )
    parser.add_argument(
        "--rotations",
        type=int,
        required=True,
        metavar="R",
        help="number of rotations in total (including --fixed ones)",
    )
    parser.add_argument(
        "--apart", action="append", default=[], metavar="A,B", help="keep A and B apart"
    )
    parser.add_argument(
        "--together",
        action="append",
        default=[],
        metavar="A,B[,C...]",
        help="keep these students in one room",
    )
    parser.add_argument(
        "--absent", action="append", default=[], metavar="A", help="leave A out of the plan"
    )
    parser.add_argument(
        "--history",
        metavar="FILE.json",
        help='pair history: {"pairs": [["a", "b", count], ...]}',
    )
    parser.add_argument(
        "--fixed",
        metavar="FILE.json",
        help='already-run rotations kept as they are: {"rotations": [[["a", "b"], ...], ...]}',
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="search time limit (default 2)",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--out",
        metavar="PATH",
        help="write to PATH instead of stdout (zoom: PATH-rotation-N.csv, or a directory)",
    )


def run(args: argparse.Namespace) -> int:
    """Execute a parsed ``plan`` command; return the process exit status."""
    try:
        request, emails = _build_request(args)
        reporter = _ProgressReporter(sys.stderr)
        result = plan(request, progress=reporter)
        reporter.finish()
        _write_output(args, result, emails, request)
    except (CliError, PlanError, RosterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m server.planner.cli",
        description="Plan breakout-room rotations with as few repeated pairs as possible.",
    )
    configure_parser(parser)
    return run(parser.parse_args(argv))


# -- input ---------------------------------------------------------------------------


def _split_names(value: str, option: str, minimum: int) -> list[str]:
    names = [part.strip() for part in value.split(",") if part.strip()]
    if len(names) < minimum:
        raise CliError(f"{option} {value!r} needs at least {minimum} comma-separated names")
    return names


def _read_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise CliError(f"cannot read {what} file {path}: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise CliError(f"{what} file {path} is not valid JSON: {error}") from error


def _build_request(args: argparse.Namespace) -> tuple[PlanRequest, dict[str, str]]:
    emails: dict[str, str] = {}
    if args.roster is not None:
        try:
            text = Path(args.roster).read_text(encoding="utf-8")
        except OSError as error:
            raise CliError(f"cannot read roster {args.roster}: {error.strerror}") from error
        entries = parse_roster_csv(text)
        if not entries:
            raise CliError(f"roster {args.roster} lists no students")
        students = [entry.name for entry in entries]
        emails = {entry.name: entry.email for entry in entries if entry.email}
    else:
        if args.students is None or args.students < 1:
            raise CliError("--students must be a positive number")
        students = [str(i) for i in range(1, args.students + 1)]
    if args.size is not None and args.size < 2:
        raise CliError("--size must be at least 2")
    if args.rooms is not None and args.rooms < 1:
        raise CliError("--rooms must be a positive number")
    if args.max_size is not None and args.rooms is None:
        raise CliError("--max-size goes with --rooms")
    if args.max_size is not None and args.max_size < 2:
        raise CliError("--max-size must be at least 2")
    if args.rotations < 1:
        raise CliError("--rotations must be a positive number")
    if args.time_limit < 0:
        raise CliError("--time-limit must not be negative")
    history = _read_json(args.history, "history") if args.history else None
    fixed: list[list[list[str]]] = []
    if args.fixed:
        data = _read_json(args.fixed, "fixed rotations")
        if isinstance(data, dict):
            data = data.get("rotations")
        if not isinstance(data, list) or not all(
            isinstance(rotation, list) and all(isinstance(room, list) for room in rotation)
            for rotation in data
        ):
            raise CliError(f"fixed rotations file {args.fixed} must hold a list of rotations")
        fixed = [[[str(s) for s in room] for room in rotation] for rotation in data]
    apart: list[tuple[str, str]] = []
    for value in args.apart:
        pair = _split_names(value, "--apart", 2)
        if len(pair) != 2:
            raise CliError(f"--apart {value!r} must name exactly two students")
        apart.append((pair[0], pair[1]))
    request = PlanRequest(
        students=students,
        size=args.size,
        rooms=args.rooms,
        leftover=args.leftover,
        max_size=args.max_size,
        rotations=args.rotations,
        apart=apart,
        together=[_split_names(v, "--together", 2) for v in args.together],
        absent=list(args.absent),
        history=history,
        fixed_rotations=fixed,
        seed=args.seed,
        time_limit=args.time_limit,
    )
    return request, emails


# -- progress ------------------------------------------------------------------------


class _ProgressReporter:
    """Progress on stderr for runs longer than a second (\\r updates only on a tty)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.perf_counter()
        self.tty = stream.isatty()
        self.last_line = -1.0
        self.shown = False

    def __call__(self, fraction: float, repeats: int) -> None:
        elapsed = time.perf_counter() - self.started
        if elapsed < 1.0:
            return
        message = f"planning: {elapsed:5.1f}s, {fraction:4.0%} of time limit, repeats {repeats}"
        if self.tty:
            self.stream.write("\r" + message)
            self.shown = True
        elif elapsed - self.last_line >= 2.0 or (fraction >= 1.0 and self.last_line >= 0):
            self.stream.write(message + "\n")
            self.last_line = elapsed
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.shown:
            self.stream.write("\n")
            self.stream.flush()


# -- output --------------------------------------------------------------------------


def _sit_outs(result: Plan, request: PlanRequest) -> list[list[str]]:
    """Per rotation, the present students in no room (only when the rooms are capped)."""
    if request.max_size is None:
        return [[] for _ in result.rotations]
    present = [s for s in request.students if s not in set(request.absent)]
    rows = []
    for rotation in result.rotations:
        placed = {s for room in rotation for s in room}
        rows.append([s for s in present if s not in placed])
    return rows


def _write_output(args: argparse.Namespace, result: Plan, emails: dict[str, str],
                  request: PlanRequest) -> None:
    if args.format == "zoom":
        _write_zoom(args, result, emails)
        return
    sit_outs = _sit_outs(result, request)
    if args.format == "json":
        text = (
            json.dumps({"rotations": result.rotations, "sit_outs": sit_outs,
                        "stats": result.stats.to_dict()}, indent=1)
            + "\n"
        )
    elif args.format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["rotation", "room", "student"])
        for number, rotation in enumerate(result.rotations, start=1):
            for room_number, room in enumerate(rotation, start=1):
                for student in room:
                    writer.writerow([number, room_number, safe_cell(student)])
            for student in sit_outs[number - 1]:
                writer.writerow([number, "", safe_cell(student)])  # sits out: no room
        text = buffer.getvalue()
    else:
        text = _format_text(result, sit_outs)
    if args.out:
        _write_file(Path(args.out), text)
    else:
        sys.stdout.write(text)


def _format_text(result: Plan, sit_outs: list[list[str]]) -> str:
    lines: list[str] = []
    for number, rotation in enumerate(result.rotations, start=1):
        lines.append(f"Rotation {number}")
        for room_number, room in enumerate(rotation, start=1):
            lines.append(f"  Room {room_number}: {', '.join(room)}")
        if sit_outs[number - 1]:
            lines.append(f"  Sitting out: {', '.join(sit_outs[number - 1])}")
    stats = result.stats
    first = stats.first_repeat_rotation
    lines += [
        "",
        f"Repeated pair meetings: {stats.repeats} (lower bound {stats.lower_bound}"
        + (", proved optimal)" if stats.optimal else ")"),
        "Room sizes: " + ", ".join(map(str, sorted(map(len, result.rotations[-1]), reverse=True))),
        f"Most meetings of one pair: {stats.max_meetings}",
        f"First rotation with a repeat: {first if first is not None else 'none'}",
        f"Distinct partners per student: min {stats.distinct_partners_min}, "
        f"mean {stats.distinct_partners_mean:.1f}",
        f"New pair meetings: {stats.new_pair_share:.1%}",
        f"Constraint violations: {stats.violations}",
        *([f"Sit-outs per student: min {stats.sit_outs_min}, max {stats.sit_outs_max}"]
          if any(sit_outs) else []),
        f"Time: {stats.seconds:.2f}s",
    ]
    return "\n".join(lines) + "\n"


def _zoom_csv(rotation: list[list[str]], emails: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ZOOM_HEADER)
    for room_number, room in enumerate(rotation, start=1):
        for student in room:
            writer.writerow([f"Room {room_number}", safe_cell(emails[student])])
    return buffer.getvalue()


def _write_zoom(args: argparse.Namespace, result: Plan, emails: dict[str, str]) -> None:
    """One Zoom pre-assign CSV per rotation.

    ``--out DIR`` (no .csv suffix) writes DIR/rotation-N.csv; ``--out NAME.csv`` writes
    NAME-rotation-N.csv next to it; without --out the files go to stdout, each preceded
    by a ``# rotation N`` line and separated by a blank line.
    """
    placed = [s for rotation in result.rotations for room in rotation for s in room]
    missing = sorted(
        {s for s in placed if s not in emails},
        key=lambda name: (0, int(name), name) if name.isdigit() else (1, 0, name),
    )
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise CliError(
            f"--format zoom needs an e-mail for every student (use --roster with an email "
            f"column); missing for {len(missing)}: {shown}"
        )
    files = [_zoom_csv(rotation, emails) for rotation in result.rotations]
    if not args.out:
        chunks = [f"# rotation {n}\n{text}" for n, text in enumerate(files, start=1)]
        sys.stdout.write("\n".join(chunks))
        return
    out = Path(args.out)
    for number, text in enumerate(files, start=1):
        if out.suffix.lower() == ".csv":
            target = out.with_name(f"{out.stem}-rotation-{number}.csv")
        else:
            target = out / f"rotation-{number}.csv"
        _write_file(target, text)


def _write_file(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from error


if __name__ == "__main__":
    sys.exit(main())
