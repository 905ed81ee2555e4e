"""MIDI ports: choosing the MIDI system, listing, opening by name, plain messages.

The "no MIDI system" cases use the real situations: the ALSA sequencer where there is none
(checked first) and JACK with a server name nobody runs. The listing cases use a real JACK
server with the dummy driver (``tests/jack_server.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from composer import ports
from composer.errors import PortError
from composer.ports import NoMidiSystem, PortWatcher, list_ports, match_port, resolve_api
from tests import jack_server

jack = jack_server.jack  # the fixture: a JACK dummy server for this module

ROOT = Path(__file__).resolve().parent.parent
NO_SERVER = {"JACK_DEFAULT_SERVER": "composer-nobody-runs-this", "JACK_NO_START_SERVER": "1"}


def alsa_sequencer_present() -> bool:
    return os.path.exists("/dev/snd/seq")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "composer", *args], cwd=ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=60)


# ----- choosing the MIDI system -----------------------------------------------------------
@pytest.mark.parametrize(("given", "expected"), [
    ("jack", "UNIX_JACK"), ("JACK", "UNIX_JACK"), ("UNIX_JACK", "UNIX_JACK"),
    ("alsa", "LINUX_ALSA"), ("linux-alsa", "LINUX_ALSA"),
])
def test_api_names(given, expected):
    if expected not in ports.compiled_apis():
        pytest.skip(f"{expected} is not compiled into python-rtmidi here")
    assert resolve_api(given) == expected


def test_api_from_the_environment(monkeypatch):
    monkeypatch.delenv(ports.ENV_API, raising=False)
    assert resolve_api() is None
    monkeypatch.setenv(ports.ENV_API, "jack")
    assert resolve_api() == "UNIX_JACK"
    assert resolve_api("alsa") == "LINUX_ALSA"  # the option wins over the environment


def test_unknown_api_is_a_plain_error():
    with pytest.raises(PortError, match="'bogus' is not available here .compiled in: .*JACK"):
        resolve_api("bogus")


# ----- finding a port by name --------------------------------------------------------------
ALSA_NAMES = ("Midi Through:Midi Through Port-0 14:0", "Keystation 49:Keystation 49 MIDI 1 20:0")


@pytest.mark.parametrize(("given", "expected"), [
    ("Keystation 49:Keystation 49 MIDI 1 20:0", ALSA_NAMES[1]),  # exact
    ("Keystation 49:Keystation 49 MIDI 1", ALSA_NAMES[1]),  # ALSA client:port numbers vary
    ("Keystation 49 MIDI 1", ALSA_NAMES[1]),
    ("keystation", ALSA_NAMES[1]),  # a unique part, any case
])
def test_match_port(given, expected):
    assert match_port(given, ALSA_NAMES, "input") == expected


def test_match_port_missing_or_ambiguous():
    with pytest.raises(PortError, match=r"no MIDI input port named 'Piano' \(available: "
                                        r"'Midi Through"):
        match_port("Piano", ALSA_NAMES, "input")
    with pytest.raises(PortError, match="'midi' is ambiguous"):
        match_port("midi", ALSA_NAMES, "input")
    with pytest.raises(PortError, match=r"\(available: none\)"):
        match_port("Piano", (), "output")


# ----- no MIDI system ------------------------------------------------------------------------
def test_jack_without_a_server_says_so(monkeypatch):
    for key, value in NO_SERVER.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(NoMidiSystem, match="no MIDI system: no JACK server is running"):
        list_ports("jack")
    with pytest.raises(NoMidiSystem):
        ports.open_output("anything", api="jack")
    with pytest.raises(NoMidiSystem):
        PortWatcher("jack").ports()


def test_cli_ports_on_this_machine():
    """No ALSA sequencer (a container, CI): one plain line, exit 2; else a listing, exit 0."""
    result = run_cli("ports", env={ports.ENV_API: ""})
    assert "Traceback" not in result.stderr
    if alsa_sequencer_present():
        assert result.returncode == 0 and "MIDI" in result.stdout
    else:
        assert result.returncode == 2
        assert result.stderr.strip() == (
            "composer ports: no MIDI system: the ALSA sequencer is not available "
            "(no /dev/snd/seq; load the snd-seq kernel module, or use --api jack with a "
            "running JACK server)")  # and none of ALSA's own noise on stderr


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_cli_ports_jack_without_server(as_json):
    result = run_cli("ports", "--api", "jack", *(["--json"] if as_json else []), env=NO_SERVER)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == ("composer ports: no MIDI system: no JACK server is "
                                     "running (start one, e.g. with qjackctl or jackd)")


# ----- a real MIDI system: JACK with the dummy driver --------------------------------------
@pytest.mark.jack
def test_cli_ports_lists_jack_ports(jack):
    empty = run_cli("ports", "--api", "jack", env=jack.env)
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.strip() == ("no MIDI ports (UNIX_JACK): connect a keyboard or start a "
                                    "synthesizer")
    empty_json = run_cli("ports", "--api", "jack", "--json", env=jack.env)
    assert json.loads(empty_json.stdout) == {"api": "UNIX_JACK", "inputs": [], "outputs": []}
    keyboard = ports.open_virtual_output("keys", api="jack", client_name="testkbd")
    synth = ports.open_virtual_input("sound", api="jack", client_name="testsynth")
    try:
        result = run_cli("ports", "--api", "jack", env=jack.env)
        as_json = run_cli("ports", "--api", "jack", "--json", env=jack.env)
    finally:
        keyboard.close()
        synth.close()
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "MIDI inputs (UNIX_JACK):", "  testkbd:keys",
        "MIDI outputs (UNIX_JACK):", "  testsynth:sound",
    ]
    assert as_json.returncode == 0 and as_json.stderr == ""
    assert json.loads(as_json.stdout) == {"api": "UNIX_JACK", "inputs": ["testkbd:keys"],
                                          "outputs": ["testsynth:sound"]}


@pytest.mark.jack
def test_open_by_name_sends_through_jack(jack):
    import time

    received = []
    synth = ports.open_virtual_input("sound", api="jack", client_name="namedsynth",
                                     callback=received.append)
    try:
        with pytest.raises(PortError, match="no MIDI output port named 'piano'.*namedsynth"):
            ports.open_output("piano", api="jack")
        out = ports.open_output("namedsynth", api="jack")  # a unique part of the name
        import mido

        out.send(mido.Message("note_on", note=64, velocity=90))
        deadline = time.monotonic() + 2.0
        while not received and time.monotonic() < deadline:
            time.sleep(0.01)
        out.close()
    finally:
        synth.close()
    assert [(m.type, m.note, m.velocity) for m in received] == [("note_on", 64, 90)]


@pytest.mark.jack
def test_watcher_sees_ports_come_and_go(jack):
    watcher = PortWatcher("jack")
    try:
        assert "come:go" not in watcher.ports().inputs
        port = ports.open_virtual_output("go", api="jack", client_name="come")
        assert "come:go" in watcher.ports().inputs
        port.close()
        assert "come:go" not in watcher.ports().inputs
    finally:
        watcher.close()
