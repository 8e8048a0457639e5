"""Run the full contradiction scan now, showing its progress (beat runs the same scan)."""

from __future__ import annotations

import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from claims import detection

PHASES = {
    "counted": "waiting for running checks, then counting claims",
    "planned": "finding the pairs the rules flag and the flags that change",
    "reconciled": "writing the changes and recording the run",
    "finished": "committing",
}


class Command(BaseCommand):
    help = "Reconcile every contradiction flag with the rules now, and record a scan run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--triggered-by", default="command", help="Recorded on the scan run (default: command).")

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] > 0
        started = time.perf_counter()
        order = list(PHASES)
        state = {"phase": 0, "done": False}
        lock = threading.Lock()

        def show(phase: str, figures: dict[str, Any]) -> None:
            if phase == "skipped" or not verbose:
                return
            with lock:
                self._clear_line()
                index = order.index(phase)
                details = ", ".join(
                    f"{value:,} {name}" for name, value in figures.items() if name not in {"seconds", "run"}
                )
                self.stdout.write(
                    f"[{index + 1}/{len(order)}] {PHASES[phase]}: done"
                    + (f" ({details})" if details else "")
                    + f" at {figures.get('seconds', 0.0):.1f} s"
                )
                state["phase"] = index + 1

        ticker = threading.Thread(target=self._tick, args=(state, lock, order, started), daemon=True)
        if verbose and self.stdout.isatty():
            ticker.start()
        try:
            run = detection.contradiction_scan(triggered_by=options["triggered_by"], progress=show)
        finally:
            state["done"] = True
        if run is None:
            self.stdout.write(self.style.WARNING("Another scan is running; this one did nothing."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Scan #{run.pk} finished in {run.duration.total_seconds() if run.duration else 0:.2f} s: "
                f"{run.claims_scanned:,} claims, {run.flags_opened} opened, {run.flags_closed} closed, "
                f"{run.flags_reopened} reopened, {run.flags_resolved} resolved."
            )
        )

    def _tick(self, state: dict[str, Any], lock: threading.Lock, order: list[str], started: float) -> None:
        """On a terminal, keep the current phase's elapsed time ticking while SQL runs."""
        while not state["done"]:
            with lock:
                if state["phase"] < len(order):
                    phase = order[state["phase"]]
                    self.stdout.write(
                        f"\r[{state['phase'] + 1}/{len(order)}] {PHASES[phase]}… {time.perf_counter() - started:.1f} s",
                        ending="",
                    )
                    self.stdout.flush()
            time.sleep(0.2)

    def _clear_line(self) -> None:
        if self.stdout.isatty():
            self.stdout.write("\r\033[K", ending="")
