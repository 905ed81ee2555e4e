"""MIDI ports: list them, open them by name, watch them come and go.

Everything goes through mido's rtmidi backend. Which MIDI system rtmidi talks to (ALSA, JACK,
CoreMIDI, Windows MM) is chosen, in order, by the ``api`` argument, the ``COMPOSER_MIDI_API``
environment variable, or rtmidi's default. Friendly names are accepted: ``alsa``, ``jack``,
``coremidi``, ``winmm`` as well as rtmidi's own (``LINUX_ALSA``, ``UNIX_JACK``, ...).

Two different failures are kept apart because a person fixes them differently:

- **no MIDI system** (no ALSA sequencer, no JACK server): :class:`NoMidiSystem`, a
  :class:`PortError`; nothing MIDI can work until the system is set up.
- **no such port**: :class:`PortError` naming the port and listing the ones that exist.

A port that goes away between the listing and the opening (rtmidi opens ports by number) is
:class:`~composer.errors.PortVanished`, after one more try with a fresh listing; the
opened port is checked to be still listed, since a stale number may name the next port.

When a MIDI system is missing, ALSA and JACK print their own complaints on the C-level stderr
(``ALSA lib seq_hw.c: ... open /dev/snd/seq failed``); those lines are swallowed while composer
probes, so the person sees one plain message instead of three lines of library noise.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass

from composer.errors import NoMidiSystem, PortError, PortVanished

ENV_API = "COMPOSER_MIDI_API"
API_ALIASES = {
    "ALSA": "LINUX_ALSA",
    "JACK": "UNIX_JACK",
    "CORE": "MACOSX_CORE",
    "COREMIDI": "MACOSX_CORE",
    "MACOS": "MACOSX_CORE",
    "WINMM": "WINDOWS_MM",
    "WINDOWS": "WINDOWS_MM",
    "MM": "WINDOWS_MM",
}
_HINTS = {
    "LINUX_ALSA": "the ALSA sequencer is not available (no /dev/snd/seq; "
    "load the snd-seq kernel module, or use --api jack with a running JACK server)",
    "UNIX_JACK": "no JACK server is running (start one, e.g. with qjackctl or jackd)",
}


@dataclass(frozen=True)
class PortList:
    """The port names a MIDI system offers right now."""

    api: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def resolve_api(api: str | None = None) -> str | None:
    """The rtmidi API name to use (``None`` = rtmidi's default for this platform)."""
    chosen = api or os.environ.get(ENV_API) or None
    if not chosen:
        return None
    name = chosen.strip().upper().replace("-", "_")
    name = API_ALIASES.get(name, name)
    compiled = compiled_apis()
    if name not in compiled:
        choices = ", ".join(compiled) or "none"
        raise PortError(f"MIDI API {chosen!r} is not available here (compiled in: {choices})")
    return name


def compiled_apis() -> list[str]:
    """rtmidi's names of the MIDI systems this build of python-rtmidi can talk to."""
    return [_API_NAMES.get(api, str(api)) for api in _rtmidi().get_compiled_api()]


def _rtmidi():
    try:
        import rtmidi
    except ImportError as exc:  # python-rtmidi missing or libasound2 missing
        raise NoMidiSystem(f"no MIDI system: python-rtmidi cannot be loaded ({exc})") from None
    return rtmidi


def _api_names() -> dict[int, str]:
    try:
        import rtmidi
    except ImportError:
        return {}
    return {getattr(rtmidi, n): n[4:] for n in dir(rtmidi) if n.startswith("API_")}


_API_NAMES = _api_names()


def _api_id(api: str | None) -> int:
    rtmidi = _rtmidi()
    return rtmidi.API_UNSPECIFIED if api is None else getattr(rtmidi, f"API_{api}")


def backend(api: str | None = None):
    """A mido backend object for rtmidi with the chosen API (not the global default)."""
    import mido

    name = resolve_api(api)
    return mido.Backend("mido.backends.rtmidi" + (f"/{name}" if name else ""), load=True)


_quiet_lock = threading.Lock()


@contextlib.contextmanager
def quiet_stderr():
    """Silence C-level stderr (ALSA/JACK client chatter) for the duration of a probe."""
    with _quiet_lock:
        try:
            saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
        except OSError:
            yield
            return
        try:
            os.dup2(devnull, 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)


def _no_system(api: str | None, exc: BaseException) -> NoMidiSystem:
    name = api or _default_api_name()
    hint = _HINTS.get(name or "", str(exc).strip() or type(exc).__name__)
    return NoMidiSystem(f"no MIDI system: {hint}")


def _default_api_name() -> str | None:
    try:
        rtmidi = _rtmidi()
        compiled = rtmidi.get_compiled_api()
    except (NoMidiSystem, Exception):
        return None
    return _API_NAMES.get(compiled[0]) if compiled else None


def list_ports(api: str | None = None) -> PortList:
    """Input and output port names; :class:`NoMidiSystem` when there is no MIDI system.

    Makes (and deletes) a MIDI client per direction on every call; code that asks often
    keeps a :class:`PortWatcher` instead. Under JACK, avoid calling this while the built-in
    synth plays through PortAudio into JACK in the same process: python-rtmidi holds the GIL
    while the new client joins, JACK waits for PortAudio's Python callback meanwhile, and
    everything stalls for a few seconds (measured: 2-3 s, with the audio dropping out).
    """
    name = resolve_api(api)
    rtmidi = _rtmidi()
    try:
        with quiet_stderr():
            midi_in = rtmidi.MidiIn(rtapi=_api_id(name))
            midi_out = rtmidi.MidiOut(rtapi=_api_id(name))
    except (OSError, RuntimeError) as exc:  # rtmidi.SystemError is an OSError
        raise _no_system(name, exc) from None
    try:
        current = _API_NAMES.get(midi_in.get_current_api(), name or "")
        return PortList(current, tuple(midi_in.get_ports()), tuple(midi_out.get_ports()))
    finally:
        midi_in.delete()
        midi_out.delete()


def match_port(name: str, available: tuple[str, ...] | list[str], kind: str) -> str:
    """The one available port meant by ``name``.

    Tried in turn: the exact name; the name without ALSA's changing ``client:port`` numbers
    (``Keyboard:Keyboard MIDI 1 20:0`` matches ``Keyboard:Keyboard MIDI 1``); a unique
    case-insensitive substring (``keyboard``).
    """
    if name in available:
        return name
    for port in available:
        without_numbers = port.rsplit(None, 1)[0] if " " in port else port
        if name in (without_numbers, without_numbers.split(":", 1)[-1]):
            return port
    wanted = name.casefold()
    candidates = [port for port in available if wanted in port.casefold()]
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        raise PortError(
            f"MIDI {kind} port name {name!r} is ambiguous: " + ", ".join(map(repr, candidates))
        )
    listing = ", ".join(map(repr, available)) if available else "none"
    raise PortError(f"no MIDI {kind} port named {name!r} (available: {listing})")


def open_input(name: str, *, api: str | None = None, callback=None,
               available: tuple[str, ...] | None = None):
    """Open an input port by (part of) its name; ``callback(msg)`` runs on rtmidi's thread.

    ``available``: the input names if just listed (saves asking the MIDI system again).
    """
    return _open_named(name, "input", api, available,
                       lambda b, real: b.open_input(real, callback=callback))


def open_output(name: str, *, api: str | None = None,
                available: tuple[str, ...] | None = None):
    """Open an output port by (part of) its name (``available`` as for :func:`open_input`)."""
    return _open_named(name, "output", api, available, lambda b, real: b.open_output(real))


def _open_named(name: str, kind: str, api: str | None, available, opener):
    """Match ``name`` among the ports and open it; if it vanishes between the listing and the
    opening (a keyboard unplugged, a JACK client quitting at that moment), list again and try
    once more: a port that came straight back under a new number opens, one that stayed
    away is a PortError saying so."""
    def names() -> tuple[str, ...]:
        found = list_ports(api)
        return found.inputs if kind == "input" else found.outputs

    real = match_port(name, names() if available is None else available, kind)
    try:
        return _open_listed(lambda b: opener(b, real), api, real)
    except PortVanished:
        pass
    try:
        real = match_port(name, names(), kind)
    except PortError:
        raise PortVanished(f"MIDI {kind} port {real!r} went away while it was being opened"
                           ) from None
    try:
        return _open_listed(lambda b: opener(b, real), api, real)
    except PortVanished:
        raise PortVanished(f"MIDI {kind} port {real!r} went away while it was being opened "
                           "(twice)") from None


def _open_listed(opener, api: str | None, name: str):
    """:func:`_open`, then make sure the port is still listed by the client that opened it.

    rtmidi opens ports by number. When the port goes away between mido's listing and the
    opening, the number is either out of range (rtmidi's InvalidPortError, made PortVanished
    by :func:`_open`) or, worse, names the next port, which then opens without a word. In both
    cases the name is gone from the listing just after, which this checks.
    """
    port = _open(opener, api, name)
    client = getattr(port, "_rt", None)  # mido's rtmidi object (no public way to ask)
    try:
        listed = name in client.get_ports() if client is not None else True
    except Exception:  # noqa: BLE001 - a client that cannot list: as if the port were gone
        listed = False
    if not listed:
        with contextlib.suppress(Exception):
            port.close()
        raise PortVanished(f"MIDI port {name!r} went away while it was being opened")
    return port


def open_virtual_input(name: str, *, api: str | None = None, callback=None,
                       client_name: str | None = None):
    """Create an input port other programs can connect to (ALSA, JACK, CoreMIDI only)."""
    return _open(lambda b: b.open_input(name, virtual=True, callback=callback,
                                        client_name=client_name), api, name)


def open_virtual_output(name: str, *, api: str | None = None, client_name: str | None = None):
    """Create an output port other programs can connect to (ALSA, JACK, CoreMIDI only)."""
    return _open(lambda b: b.open_output(name, virtual=True, client_name=client_name),
                 api, name)


def _open(opener, api: str | None, name: str):
    chosen = resolve_api(api)
    mido_backend = backend(chosen)
    try:
        with quiet_stderr():
            return opener(mido_backend)
    except NotImplementedError:
        raise PortError(f"MIDI port {name!r}: virtual ports are not supported here") from None
    except ValueError as exc:  # rtmidi.InvalidPortError: the port number is no longer valid
        raise PortVanished(f"MIDI port {name!r} went away while it was being opened ({exc})"
                        ) from None
    except (OSError, RuntimeError) as exc:
        text = str(exc)
        if "initialize" in text or "server" in text.lower():
            raise _no_system(chosen, exc) from None
        raise PortError(f"MIDI port {name!r} cannot be opened ({text or type(exc).__name__})"
                        ) from None


class PortWatcher:
    """Cheap repeated look-ups of the port names, to notice ports vanishing and returning.

    One rtmidi client per direction is kept open (creating a JACK client costs ~30 ms; asking
    an existing one for its ports costs ~50 us). Without a MIDI system the clients are tried
    again on the next call. Known limit: a JACK server that stops under running clients is
    not noticed (its last port list is reported); ALSA's sequencer does not stop.
    """

    def __init__(self, api: str | None = None) -> None:
        self.api = resolve_api(api)
        self._in = self._out = None

    def ports(self) -> PortList:
        rtmidi = _rtmidi()
        if self._in is None:
            try:
                with quiet_stderr():
                    self._in = rtmidi.MidiIn(rtapi=_api_id(self.api))
                    self._out = rtmidi.MidiOut(rtapi=_api_id(self.api))
            except (OSError, RuntimeError) as exc:
                self.close()
                raise _no_system(self.api, exc) from None
        try:
            return PortList(self.api or "", tuple(self._in.get_ports()),
                            tuple(self._out.get_ports()))
        except (OSError, RuntimeError) as exc:
            self.close()
            raise _no_system(self.api, exc) from None

    def close(self) -> None:
        for client in (self._in, self._out):
            if client is not None:
                with contextlib.suppress(Exception):
                    client.delete()
        self._in = self._out = None
