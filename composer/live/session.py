"""The real-time shell of the duet: ports, a queue, a generation thread, port watching.

The musical logic is in :mod:`composer.live.duet`; this module only moves messages between
MIDI ports, the duet and the answer source on threads, and reopens ports that come back. The
answer source is any callable ``(seed, bars) -> notes``: Sound does not know models (the one
over a model bundle is :class:`composer.answer.ModelAnswerer`, on the Play side).
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator

import mido

from composer.errors import ComposerError, PortError
from composer.live.duet import AnswerRequest, AnswerTiming, Duet
from composer.live.phrase import Clock, LiveSettings
from composer.notes import Note, Piece

AnswerSource = Callable[[Piece, float], Iterator[Note]]  # (seed, bars) -> notes


class LiveSession:
    """A :class:`Duet` on real ports in real time.

    Listens on ``input_name`` and answers on ``output_name`` (None or "Built-in synth": the
    sound card). ``start()`` opens the ports (raising :class:`PortError`/:class:`AudioError`
    at once when they cannot be opened) and runs the loop on a thread; ``stop()`` ends it.
    Keyboard messages arrive on rtmidi's thread and are time-stamped there; answers are
    generated on a thread of their own; everything else happens on the session's thread, so
    the duet needs no locks. Hooks are called from the session's thread. Ports that vanish
    are noticed (checked every ``poll_interval`` s), waited for and reopened.
    """

    def __init__(self, answer: AnswerSource, input_name: str, output_name: str | None = None,
                 *, api: str | None = None, settings: LiveSettings = LiveSettings(),
                 synth: str = "auto", clock: Clock = time.perf_counter,
                 on_status: Callable[[str], None] | None = None,
                 on_phrase: Callable[[Piece], None] | None = None,
                 on_answer: Callable[[Piece], None] | None = None,
                 on_timing: Callable[[AnswerTiming], None] | None = None,
                 poll_interval: float = 1.0) -> None:
        settings.validate()
        self.answer = answer
        self.input_name = input_name
        self.output_name = output_name
        self.api = api
        self.settings = settings
        self.synth = synth
        self.clock = clock
        self.on_status = on_status
        self.poll_interval = poll_interval
        self.duet = Duet(self._send, settings, clock=clock, on_phrase=on_phrase,
                         on_answer=on_answer, on_timing=on_timing, on_status=on_status)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._input = None
        self._output = None
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._cancel = threading.Event()
        self._generating: int | None = None
        self._open_failures: dict[str, str] = {}  # kind -> the last reopening failure said

    @property
    def timings(self) -> list[AnswerTiming]:
        return self.duet.timings

    @property
    def output(self):
        """The open :class:`~composer.playback.Output` (None while its port is away)."""
        return self._output

    # --- lifecycle ----------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        """Open the ports and run on a thread; errors opening the ports are raised here."""
        # The generation thread would otherwise hold the GIL for up to 5 ms at a time while
        # a due note waits: 1 ms keeps the answer on time (process-wide, harmless elsewhere).
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        self._stop_event = threading.Event()
        self._ready.clear()
        self._failure = None
        self._thread = threading.Thread(target=self._run_safely, name="composer-live",
                                        daemon=True)
        self._thread.start()
        self._ready.wait(timeout)
        if self._failure is not None:
            self._thread.join(1.0)
            self._thread = None
            raise self._failure

    def stop(self, timeout: float | None = 5.0) -> None:
        """End the session; wait up to ``timeout`` s for it (``None``: do not wait).

        Without waiting (a GUI), ``on_status("stopped")`` says when the ports are closed.
        """
        self._stop_event.set()
        thread = self._thread
        if timeout is not None and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            self._thread = None

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run_safely(self) -> None:
        try:
            self.run(self._stop_event)
        except BaseException as exc:  # noqa: BLE001 - handed to start() or reported
            if not self._ready.is_set():
                self._failure = exc
                self._ready.set()
            else:
                self._status(f"live mode stopped: {exc}")

    def run(self, stop: threading.Event) -> None:
        """Open the ports, then listen, detect, answer until ``stop`` is set."""
        from composer.ports import PortWatcher

        # The watcher's MIDI clients are made before the sound card is opened: python-rtmidi
        # holds the GIL while it creates a JACK client, and JACK waits for every client's
        # audio callback meanwhile, so with PortAudio playing through JACK in this process
        # the two would wait for each other for seconds.
        watcher = PortWatcher(self.api)
        try:
            watcher.ports()
            self._open_input()
            self._open_output()
        except BaseException:
            watcher.close()
            self._close_input()
            raise
        self._ready.set()
        out_name = self.output_name or "the built-in synth"
        self._status(f"listening on {self.input_name!r}, answering on {out_name!r}")
        watching = threading.Thread(target=self._watch_ports, args=(stop, watcher), daemon=True,
                                    name="composer-live-ports")
        watching.start()
        duet, clock = self.duet, self.clock
        try:
            while not stop.is_set():
                now = clock()
                wake = min(t for t in (duet.next_wake(), now + 0.25) if t is not None)
                try:
                    item = self._queue.get(timeout=max(wake - now, 0.0))
                except queue.Empty:
                    item = None
                if item is not None:
                    self._handle(item)
                request = duet.tick(clock())
                if request is not None:
                    self._start_generation(request)
        finally:
            self._cancel.set()
            duet.stop_answer(interrupted=True)
            watching.join(2.0)
            self._close_input()
            self._close_output()
            self._status("stopped")

    def _watch_ports(self, stop: threading.Event, watcher) -> None:
        """Look at the port names every ``poll_interval`` s, on a thread of its own.

        Asking the MIDI system can be slow (a JACK server busy with other clients), so it
        never happens on the thread that keeps the answer on time; the names reach that
        thread through the queue.
        """
        from composer.ports import NoMidiSystem

        try:
            while not stop.wait(self.poll_interval):
                try:
                    found = watcher.ports()
                except NoMidiSystem as exc:
                    found = exc
                self._queue.put(("ports", found))
        finally:
            watcher.close()

    def _handle(self, item: tuple) -> None:
        kind = item[0]
        if kind == "midi":
            _, at, message = item
            self.duet.feed(message, at)
            if self.duet.wanted != self._generating:
                self._cancel.set()  # the player played on: that answer is not wanted
        elif kind == "note":
            self.duet.add_note(item[1], item[2], self.clock())
        elif kind == "done":
            self.duet.answer_done(item[1], self.clock())
        elif kind == "error":
            self.duet.answer_failed(item[1], item[2])
        elif kind == "ports":
            self._check_ports(item[1])

    def _start_generation(self, request: AnswerRequest) -> None:
        self._cancel.set()  # an answer still being generated is not wanted any more
        self._cancel = threading.Event()
        self._generating = request.number
        threading.Thread(target=self._generate, args=(request, self._cancel),
                         name="composer-live-answer", daemon=True).start()

    def _generate(self, request: AnswerRequest, cancel: threading.Event) -> None:
        put = self._queue.put
        try:
            for note in self.answer(request.seed, request.bars):
                if cancel.is_set():
                    return
                put(("note", request.number, note))
            put(("done", request.number))
        except ComposerError as exc:
            put(("error", request.number, str(exc)))
        except Exception as exc:  # noqa: BLE001 - shown; the session goes on listening
            put(("error", request.number, f"{type(exc).__name__}: {exc}"))

    # --- ports --------------------------------------------------------------------------
    def _open_input(self, available: tuple[str, ...] | None = None) -> None:
        from composer.ports import open_input

        clock, put = self.clock, self._queue.put
        self._input = open_input(self.input_name, api=self.api, available=available,
                                 callback=lambda message: put(("midi", clock(), message)))

    def _open_output(self, available: tuple[str, ...] | None = None) -> None:
        from composer.playback import PortOutput, open_output
        from composer.ports import open_output as open_port

        if available is not None and self._uses_output_port():
            self._output = PortOutput(open_port(self.output_name, api=self.api,
                                                available=available))
        else:
            self._output = open_output(self.output_name, api=self.api, synth=self.synth)

    def _close_input(self) -> None:
        port, self._input = self._input, None
        if port is not None:
            try:
                port.close()
            except Exception:  # noqa: BLE001 - a vanished port may not close cleanly
                pass

    def _close_output(self) -> None:
        output, self._output = self._output, None
        if output is not None:
            try:
                output.close()
            except Exception:  # noqa: BLE001
                pass

    def _send(self, message: mido.Message) -> None:
        output = self._output
        if output is None:
            return
        try:
            output.send(message)
        except PortError as exc:
            self._status(str(exc))
            self._close_output()

    def _uses_output_port(self) -> bool:
        from composer.playback import BUILTIN_SYNTH

        return self.output_name not in (None, BUILTIN_SYNTH)

    def _check_ports(self, found) -> None:
        """React to the port names the watcher found (or to the MIDI system being gone)."""
        if isinstance(found, Exception):
            if self._input is not None:
                self._status(f"{found}; waiting for it to come back")
                self.duet.stop_answer(interrupted=True)
            self._close_input()
            if self._uses_output_port():
                self._close_output()
            return
        self._check_one(found.inputs, "input")
        if self._uses_output_port():
            self._check_one(found.outputs, "output")

    def _check_one(self, available: tuple[str, ...], kind: str) -> None:
        from composer.ports import match_port

        name = self.input_name if kind == "input" else self.output_name
        is_open = (self._input if kind == "input" else self._output) is not None
        try:
            match_port(name, available, kind)
            present = True
        except PortError:
            present = False
        if is_open and not present:
            if kind == "output":
                self.duet.stop_answer(interrupted=True)
            (self._close_input if kind == "input" else self._close_output)()
            self._status(f"{kind} port {name!r} disappeared; waiting for it to come back")
        elif not is_open and not present:
            self._open_failures.pop(kind, None)  # gone again: its next return is said anew
        elif not is_open and present:
            try:
                if kind == "input":
                    self._open_input(available)
                else:
                    self._open_output(available)
            except PortError as exc:  # PortVanished too: listed, then gone when opened
                # Tried again at the next look; said once per return, not at every look
                # (nor again when the reason changes: a port half gone fails differently).
                message = f"{kind} port {name!r} is back but cannot be opened: {exc}"
                if kind not in self._open_failures:
                    self._open_failures[kind] = message
                    self._status(message)
                return
            self._open_failures.pop(kind, None)
            self._status(f"{kind} port {name!r} is back; listening")

    def _status(self, text: str) -> None:
        if self.on_status is not None:
            self.on_status(text)
