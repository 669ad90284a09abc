#!/usr/bin/env python3
"""Keeps `hwbridge --schema` in step with the loader (`hwbridge --check`).

- The schema is a valid draft-07 schema.
- Every map in config/ is accepted by both.
- Each map in INVALID is refused by the loader (with the expected message) AND by the schema
  (with an error at the expected place); each map in VALID is accepted by both.
- KNOWN_DIFFERENCES are the loader's rules a schema cannot express: the test asserts they still
  differ, so the list (and docs/device-map.md, which repeats it) stays true.

Maps are parsed as YAML 1.2 (core schema), as editors' YAML language servers do: `on`, `yes`,
`0x10` are strings there, unlike in PyYAML's default YAML 1.1 resolution.

Needs the Debian packages python3-jsonschema and python3-yaml.
Usage: json_schema_test.py HWBRIDGE_BINARY SOURCE_DIR
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap

try:
    import jsonschema
    import yaml
except ImportError as e:
    sys.exit(f"FAIL: {e}: install the Debian packages python3-jsonschema and python3-yaml")


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML with the YAML 1.2 core schema's implicit types instead of YAML 1.1's."""


_REPLACED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def _construct_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0x"):
        return int(text[2:], 16)
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 10)  # "010" is 10 in YAML 1.2, not 8


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def parse_yaml(text):
    return yaml.load(text, Loader=Yaml12Loader)


# (name, map, loader message fragment, schema error path). The path is where the schema must
# report the problem (the key's value, or the mapping holding a bad or missing key), so both
# refuse the map for the same reason.
INVALID = [
    # unknown keys
    ("unknown top-level key", "devices: [{id: a, driver: sim}]\nsensor: []\n",
     "unknown key 'sensor' in the device map", []),
    ("unknown bridge key", "bridge:\n  nmae: x\ndevices: [{id: a, driver: sim}]\n",
     "unknown key 'nmae' in 'bridge'", ["bridge"]),
    ("unknown device key", "devices:\n  - id: a\n    driver: sim\n    lable: A\n",
     "unknown key 'lable' in device 'a'", ["devices", 0]),
    ("option of another driver on a device", "devices:\n  - id: a\n    driver: sim\n    chip: gpiochip0\n",
     "unknown key 'chip' in device 'a'", ["devices", 0]),
    ("unknown sensor key", "devices: [{id: a, driver: sim}]\nsensors:\n  - id: s\n    device: a\n    signl: sine\n",
     "unknown key 'signl' in sensor 's'", ["sensors", 0]),
    ("unknown relay key", "devices: [{id: a, driver: sim}]\nrelays:\n  - id: r\n    device: a\n    safe: off\n",
     "unknown key 'safe' in relay 'r'", ["relays", 0]),
    ("unknown text key", "devices: [{id: a, driver: sim}]\ntexts:\n  - id: t\n    device: a\n    lines: 3\n",
     "unknown key 'lines' in text 't'", ["texts", 0]),
    ("unknown ui key", "devices: [{id: a, driver: sim}]\nrelays:\n  - id: r\n    device: a\n    ui: {ordr: 1}\n",
     "unknown key 'ordr' in 'ui' of relay 'r'", ["relays", 0, "ui"]),
    ("words on a number sensor", "devices: [{id: a, driver: sim}]\nsensors:\n  - id: s\n    device: a\n    device_class: door\n",
     "'device_class' applies only to sensors of type boolean", ["sensors", 0]),
    ("unknown device class", "devices: [{id: a, driver: sim}]\nrelays:\n  - id: r\n    device: a\n    device_class: dor\n",
     "'device_class' must be one of", ["relays", 0, "device_class"]),
    ("group title too long", "devices: [{id: a, driver: sim}]\ntexts:\n  - id: t\n    device: a\n    ui: {group: '" + "x" * 41 + "'}\n",
     "'group' must be 1 to 40 bytes", ["texts", 0, "ui", "group"]),
    # wrong types
    ("text for an integer", "bridge: {max_message_bytes: lots}\ndevices: [{id: a, driver: sim}]\n",
     "'max_message_bytes' must be an integer", ["bridge", "max_message_bytes"]),
    ("fraction for an integer",
     "devices: [{id: a, driver: sim}]\nsensors: [{id: s, device: a, precision: 1.5}]\n",
     "'precision' must be an integer", ["sensors", 0, "precision"]),
    ("word for a boolean",
     "devices: [{id: p, driver: gpio, chip: gpiochip0}]\nrelays: [{id: r, device: p, line: '5', active_low: maybe}]\n",
     "'active_low' must be true or false", ["relays", 0, "active_low"]),
    ("duration without a unit",
     "devices: [{id: a, driver: sim}]\nsensors: [{id: s, device: a, period: 5}]\n",
     "'period' needs a unit", ["sensors", 0, "period"]),
    ("duration with a bad unit",
     "devices: [{id: a, driver: sim}]\nrelays: [{id: r, device: a, max_on: 5x}]\n",
     "'max_on' must be a duration", ["relays", 0, "max_on"]),
    ("empty value", "devices:\n  - id: a\n    driver: sim\n    label:\n",
     "'label' needs a value", ["devices", 0, "label"]),
    ("list for a string", "devices:\n  - id: a\n    driver: sim\n    label: [x]\n",
     "'label' must be a string", ["devices", 0, "label"]),
    ("mapping for a list of strings", "bridge:\n  allowed_origins: {a: b}\ndevices: [{id: a, driver: sim}]\n",
     "'allowed_origins' must be a list of strings", ["bridge", "allowed_origins"]),
    ("section that is not a list", "devices: [{id: a, driver: sim}]\nsensors: {id: s, device: a}\n",
     "'sensors' must be a list", ["sensors"]),
    ("entry that is not a mapping", "devices:\n  - sim\n",
     "each entry of 'devices' must be a mapping", ["devices", 0]),
    ("map that is not a mapping", "- devices\n", "the device map must be a mapping", []),
    # out of range
    ("integer below its minimum", "bridge: {max_message_bytes: 100}\ndevices: [{id: a, driver: sim}]\n",
     "'max_message_bytes' must be an integer between 256 and 16777216", ["bridge", "max_message_bytes"]),
    ("integer above its maximum",
     "devices: [{id: a, driver: sim}]\nsensors: [{id: s, device: a, precision: 11}]\n",
     "'precision' must be an integer between 0 and 10", ["sensors", 0, "precision"]),
    ("driver integer out of range", "devices: [{id: a, driver: sim, seed: -1}]\n",
     "'seed' must be an integer between 0 and 4294967295", ["devices", 0, "seed"]),
    ("driver number out of range",
     "devices: [{id: a, driver: sim}]\nsensors: [{id: s, device: a, rate: 0}]\n",
     "'rate' must be a number between 0.01 and 10000", ["sensors", 0, "rate"]),
    ("text channel integer out of range",
     "devices: [{id: a, driver: sim}]\ntexts: [{id: t, device: a, history_lines: 10001}]\n",
     "'history_lines' must be an integer between 0 and 10000", ["texts", 0, "history_lines"]),
    ("port out of range", "bridge: {listen: '127.0.0.1:65536'}\ndevices: [{id: a, driver: sim}]\n",
     "'listen' must be HOST:PORT", ["bridge", "listen"]),
    # bad choices
    ("bad log level", "bridge: {log_level: verbose}\ndevices: [{id: a, driver: sim}]\n",
     "'log_level' must be one of", ["bridge", "log_level"]),
    ("bad sensor type", "devices: [{id: a, driver: sim}]\nsensors: [{id: s, device: a, type: float}]\n",
     "'type' must be one of", ["sensors", 0, "type"]),
    ("bad relay state", "devices: [{id: a, driver: sim}]\nrelays: [{id: r, device: a, safe_state: maybe}]\n",
     "'safe_state' must be one of", ["relays", 0, "safe_state"]),
    ("bad driver choice", "devices: [{id: a, driver: sim}]\nsensors: [{id: s, device: a, signal: saw}]\n",
     "'signal' must be one of", ["sensors", 0, "signal"]),
    ("bad device driver choice", "devices: [{id: u, driver: serial, port: /dev/ttyUSB0, parity: mark}]\n",
     "'parity' must be one of", ["devices", 0, "parity"]),
    ("unknown driver", "devices: [{id: a, driver: smi}]\n", "uses unknown driver 'smi'", ["devices", 0, "driver"]),
    # missing required keys
    ("no devices", "bridge: {name: x}\n", "missing required key 'devices'", []),
    ("empty device list", "devices: []\n", "'devices' must list at least one device", ["devices"]),
    ("device without driver", "devices: [{id: a}]\n", "missing required key 'driver'", ["devices", 0]),
    ("device without id", "devices: [{driver: sim}]\n", "missing required key 'id'", ["devices", 0]),
    ("channel without device", "devices: [{id: a, driver: sim}]\nrelays: [{id: r}]\n",
     "missing required key 'device'", ["relays", 0]),
    ("required driver option", "devices: [{id: p, driver: gpio}]\n",
     "missing required key 'chip'", ["devices", 0]),
    # structured values
    ("id with a space", "devices: [{id: 'a b', driver: sim}]\n", "'id' must be 1 to 64", ["devices", 0, "id"]),
    ("id too long", "devices: [{id: " + "x" * 65 + ", driver: sim}]\n", "'id' must be 1 to 64",
     ["devices", 0, "id"]),
    ("range with one number", "devices: [{id: a, driver: sim}]\nsensors: [{id: s, device: a, range: [1]}]\n",
     "'range' must be [min, max]", ["sensors", 0, "range"]),
    ("range on a boolean sensor",
     "devices: [{id: a, driver: sim}]\nsensors: [{id: s, device: a, type: boolean, range: [0, 1]}]\n",
     "'range' applies only to sensors of type number", ["sensors", 0]),
    ("listen without a port", "bridge: {listen: localhost}\ndevices: [{id: a, driver: sim}]\n",
     "'listen' must be HOST:PORT", ["bridge", "listen"]),
    ("origin with a path", "bridge: {allowed_origins: ['http://pi.local/']}\ndevices: [{id: a, driver: sim}]\n",
     "allowed origin 'http://pi.local/' is invalid", ["bridge", "allowed_origins", 0]),
    # bridge.tls and bridge.limits
    ("tls without a key", "bridge: {tls: {cert: /etc/hostname}}\ndevices: [{id: a, driver: sim}]\n",
     "'bridge.tls' is missing required key 'key'", ["bridge", "tls"]),
    ("unknown tls key", "bridge: {tls: {cert: /etc/hostname, key: /etc/hostname, chain: x}}\ndevices: [{id: a, driver: sim}]\n",
     "unknown key 'chain' in 'bridge.tls'", ["bridge", "tls"]),
    ("unknown limits key", "bridge: {limits: {relay_per_second: 5}}\ndevices: [{id: a, driver: sim}]\n",
     "unknown key 'relay_per_second' in 'bridge.limits'", ["bridge", "limits"]),
    ("negative rate", "bridge: {limits: {relay_rate: -1}}\ndevices: [{id: a, driver: sim}]\n",
     "'relay_rate' must be a number between 0 and 10000", ["bridge", "limits", "relay_rate"]),
    ("connection cap of zero", "bridge: {limits: {max_connections: 0}}\ndevices: [{id: a, driver: sim}]\n",
     "'max_connections' must be an integer between 1 and 65535", ["bridge", "limits", "max_connections"]),
]

VALID = [
    ("minimal", "devices: [{id: a, driver: sim}]\n"),
    ("empty sections", "bridge:\ndevices: [{id: a, driver: sim}]\nsensors:\nrelays:\ntexts:\n"),
    ("numbers and booleans as strings", textwrap.dedent("""\
        bridge: {name: 42}
        devices: [{id: 7, driver: sim, label: true}]
        sensors: [{id: s, device: 7, unit: 1.5, label: 3}]
        """)),
    ("ui and words", textwrap.dedent("""\
        devices: [{id: a, driver: sim}]
        sensors:
          - {id: s, device: a, type: boolean, device_class: moisture, on_text: Leak, ui: {order: -3, group: Cellar, compact: true}}
          - {id: n, device: a, ui:}
        relays:
          - {id: r, device: a, device_class: heat, off_text: Idle, ui: {hidden: true}}
        texts:
          - {id: t, device: a, ui: {group: Service, order: 9999}}
        """)),
    ("relay states in both spellings", textwrap.dedent("""\
        devices: [{id: a, driver: sim}]
        relays:
          - {id: r1, device: a, safe_state: off, initial: on}
          - {id: r2, device: a, safe_state: true, initial: false}
          - {id: r3, device: a, safe_state: none, max_on: 1.5s, min_on: 250ms, min_off: 1h, interlock: g}
          - {id: r4, device: a, interlock: g}
        """)),
    ("bridge keys", textwrap.dedent("""\
        bridge:
          name: Bench
          listen: '[::1]:0'
          allowed_origins: [http://pi.local:8080, 'https://[::1]']
          max_message_bytes: 256
          log_level: off
        devices: [{id: a, driver: sim}]
        """)),
    ("limits", textwrap.dedent("""\
        bridge:
          limits: {max_connections: 64, connection_rate: 0.5, connection_burst: 5, relay_rate: 0, relay_burst: 1,
                   text_rate: 10000, text_burst: 10000, max_refusals: 1}
        devices: [{id: a, driver: sim}]
        """)),
    ("auth keys and control", textwrap.dedent("""\
        bridge: {listen: '0.0.0.0:8080'}
        auth:
          secret_file: /etc/hwbridge/secret
          allow_anonymous: viewer
          passphrase_hash: "pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
          passphrase_role: admin
          passphrase_ttl: 30m
          machine_tokens:
            - {name: plc, sha256: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff, role: operator, channels: [r]}
        devices: [{id: a, driver: sim}]
        relays: [{id: r, device: a, control: admin}]
        texts: [{id: t, device: a, control: operator}]
        """)),
    ("sensor keys", textwrap.dedent("""\
        devices: [{id: a, driver: sim, seed: 4294967295}]
        sensors:
          - {id: s, device: a, unit: '%', type: number, range: [-10, 40.5], precision: 0, signal: toggle, period: 24h,
             low: -1e3, high: 5, noise: 0, rate: 10000}
          - {id: b, device: a, type: boolean}
        texts: [{id: t, device: a, history_lines: 0, max_line_bytes: 65536, mode: status, interval: 10ms}]
        """)),
    ("serial device by USB id", textwrap.dedent("""\
        devices: [{id: u, driver: serial, usb_vendor: '2341', usb_product: '0043', baud: 9600, parity: even}]
        sensors: [{id: s, device: u, csv_column: 3, scale: 0.5, filter: median, window: 3, throttle: 1s}]
        relays: [{id: r, device: u, on_command: 'R1\\n', off_command: 'R0\\n'}]
        texts: [{id: t, device: u, line_ending: '\\r\\n'}]
        """)),
    ("gpio lines by offset and name", textwrap.dedent("""\
        devices: [{id: p, driver: gpio, chip: gpiochip0, retry: 100ms}]
        sensors: [{id: b, device: p, type: boolean, line: 17, bias: pull_up, active_low: true, debounce: 30ms}]
        relays: [{id: r, device: p, line: GPIO5, active_low: false, safe_state: off}]
        """)),
]

# Refused by the loader, accepted by the schema: rules a JSON Schema cannot state. Keep in step
# with "What the schema cannot check" in docs/device-map.md.
KNOWN_DIFFERENCES = [
    ("channel on an undefined device", "devices: [{id: a, driver: sim}]\nsensors: [{id: s, device: b}]\n",
     "refers to undefined device 'b'"),
    ("duplicate device id", "devices: [{id: a, driver: sim}, {id: a, driver: sim}]\n", "duplicate device id 'a'"),
    ("duplicate channel id across kinds",
     "devices: [{id: a, driver: sim}]\nsensors: [{id: x, device: a}]\nrelays: [{id: x, device: a}]\n",
     "duplicate channel id 'x'"),
    ("duplicate key", "devices:\n  - id: a\n    driver: sim\n    driver: sim\n", "duplicate key 'driver'"),
    ("channel option of another driver",
     "devices: [{id: a, driver: sim}]\nsensors: [{id: s, device: a, line: GPIO17}]\n", "unknown key 'line'"),
    ("required channel option of its driver",
     "devices: [{id: p, driver: gpio, chip: gpiochip0}]\nrelays: [{id: r, device: p}]\n",
     "missing required key 'line'"),
    ("driver cross-key check", "devices: [{id: u, driver: serial, port: /dev/ttyUSB0, usb_vendor: '2341'}]\n",
     "give either 'port' or 'usb_vendor'"),
    ("duration out of range", "devices: [{id: a, driver: sim}]\nsensors: [{id: s, device: a, period: 25h}]\n",
     "'period' must be a duration between 1ms and 24h"),
    ("range min not below max", "devices: [{id: a, driver: sim}]\nsensors: [{id: s, device: a, range: [5, 1]}]\n",
     "'range' must have min < max"),
    ("integer written with a fraction", "bridge: {max_message_bytes: 1024.0}\ndevices: [{id: a, driver: sim}]\n",
     "'max_message_bytes' must be an integer"),
    ("tls file that does not exist",
     "bridge: {tls: {cert: /nonexistent/cert.pem, key: /nonexistent/key.pem}}\ndevices: [{id: a, driver: sim}]\n",
     "cannot read 'cert' file /nonexistent/cert.pem: no such file"),
    ("listen beyond loopback without auth", "bridge: {listen: '0.0.0.0:80'}\ndevices: [{id: a, driver: sim}]\n",
     "but the map has no authentication"),
    ("machine token channel that is not a relay or text",
     "auth: {machine_tokens: [{name: m, sha256: " + "a" * 64 + ", channels: [x]}]}\ndevices: [{id: a, driver: sim}]\n",
     "machine token channel 'x' is not a relay or text channel"),
    ("pass-phrase without a secret file",
     "auth: {passphrase_hash: 'pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'}\n"
     "devices: [{id: a, driver: sim}]\n", "'passphrase_hash' needs 'secret_file'"),
    ("boolean spelled True", "devices: [{id: p, driver: gpio, chip: c}]\nrelays: [{id: r, device: p, line: '5', active_low: True}]\n",
     "'active_low' must be true or false"),
]


class Checker:
    def __init__(self, binary, source_dir):
        self.binary = binary
        self.source_dir = source_dir
        out = subprocess.run([binary, "--schema"], check=True, capture_output=True, text=True).stdout
        self.schema = json.loads(out)
        jsonschema.Draft7Validator.check_schema(self.schema)
        self.validator = jsonschema.Draft7Validator(self.schema)
        self.failures = []
        self.checks = 0
        self.tmp = tempfile.TemporaryDirectory(prefix="hwb-schema-")

    def fail(self, name, why):
        self.failures.append(f"{name}: {why}")

    def loader(self, name, text=None, path=None):
        """(ok, stderr) of `hwbridge --check` on the map."""
        if path is None:
            path = os.path.join(self.tmp.name, re.sub(r"[^a-z0-9]+", "-", name) + ".yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        r = subprocess.run([self.binary, "--check", path], capture_output=True, text=True)
        if r.returncode not in (0, 1):
            self.fail(name, f"--check exited with {r.returncode}: {r.stderr.strip()}")
        return r.returncode == 0, r.stderr

    def schema_errors(self, document):
        """Every error of the schema, with those inside anyOf/allOf branches, as (path, message)."""
        found = []

        def walk(errors):
            for e in errors:
                found.append((list(e.absolute_path), e.message))
                walk(e.context or [])
        walk(self.validator.iter_errors(document))
        return found

    def expect_valid(self, name, text=None, path=None):
        self.checks += 1
        if path is not None:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        ok, stderr = self.loader(name, text, path)
        if not ok:
            self.fail(name, f"the loader refuses it: {stderr.strip()}")
        errors = self.schema_errors(parse_yaml(text))
        if errors:
            self.fail(name, f"the schema refuses it: {errors[:3]}")

    def expect_invalid(self, name, text, message, path):
        self.checks += 1
        ok, stderr = self.loader(name, text)
        if ok:
            self.fail(name, "the loader accepts it")
        elif message not in stderr:
            self.fail(name, f"the loader says {stderr.strip()!r}, expected {message!r}")
        errors = self.schema_errors(parse_yaml(text))
        if not errors:
            self.fail(name, "the schema accepts it")
        elif not any(p == path for p, _ in errors):
            self.fail(name, f"the schema reports {errors[:4]}, nothing at {path}")

    def expect_known_difference(self, name, text, message):
        self.checks += 1
        ok, stderr = self.loader(name, text)
        if ok or message not in stderr:
            self.fail(name, f"expected the loader to say {message!r}, got {stderr.strip()!r}")
        errors = self.schema_errors(parse_yaml(text))
        if errors:
            self.fail(name, f"the schema now refuses it too ({errors[:2]}): move it to INVALID and the docs' list")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    checker = Checker(sys.argv[1], sys.argv[2])
    config = os.path.join(checker.source_dir, "config")
    examples = sorted(f for f in os.listdir(config) if f.endswith(".yaml"))
    if not examples:
        checker.fail("config/", "no example maps found")
    for example in examples:
        checker.expect_valid("config/" + example, path=os.path.join(config, example))
    for name, text in VALID:
        checker.expect_valid(name, text)
    for name, text, message, path in INVALID:
        checker.expect_invalid(name, text, message, path)
    for name, text, message in KNOWN_DIFFERENCES:
        checker.expect_known_difference(name, text, message)

    for failure in checker.failures:
        print("FAIL:", failure)
    print(f"{checker.checks} maps checked: {len(examples)} examples, {len(VALID)} valid, {len(INVALID)} invalid, "
          f"{len(KNOWN_DIFFERENCES)} known differences; {len(checker.failures)} failures")
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main())
