#!/usr/bin/python3
"""An independent Modbus peer for hwbridge's tests: Debian's pymodbus (3.0 or 3.8) serving registers over
loopback TCP or over a serial port (one end of a pseudo-terminal pair) as RTU.

  peer.py --tcp PORT|0 --spec JSON [--log FILE]
  peer.py --rtu /dev/pts/N --spec JSON [--log FILE]

The spec: {"size": 1024, "units": {"1": {"hr": {"0": 17, ...}, "ir": {...}, "co": {...}, "di": {...}}},
           "values": [{"unit": 1, "table": "hr", "address": 10, "type": "float32", "order": "CDAB",
                       "value": -12.5}, ...],
           "stuck_coils": [[unit, address], ...], "stuck_registers": [[unit, address], ...],
           "timed_coils": [[unit, first, count, unit_ms], ...]}
"values" are encoded here with Python's struct module (an encoder independent of hwbridge's).
Addresses are protocol addresses (zero-based). Reading outside 0..size-1 gives the exception
"illegal data address"; units not in the spec get no answer at all (a unit that is not there).
A stuck coil or register takes the write but keeps its value (a relay that did not switch).
Timed coils are a relay board's timed pulse (the Waveshare kind's "flash on"): function 05 to
address first+N with a value V (a time, not FF00) switches coil N on, echoes the request, and
switches coil N off again V x unit_ms later, whatever was written since (a new timed pulse of the
same coil starts its time anew); logged as "unit 5 address V".
Every request the peer serves is written to --log as one line "unit fc address count", and
"listening PORT" (TCP) or "listening" (RTU) is printed on stdout once it serves.
"""
import argparse
import asyncio
import json
import logging
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext

# Debian 12 ships pymodbus 3.0, Debian 13 3.8: their server classes live in different places.
try:
    from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer
    from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer
    PYMODBUS_30 = True
except ImportError:
    from pymodbus.framer import FramerType
    from pymodbus.server import ModbusSerialServer, ModbusTcpServer
    PYMODBUS_30 = False


class LoggedUnit(ModbusSlaveContext):
    """A unit whose blocks start at protocol address 0 (the versions differ in their own offset)."""

    def __init__(self, unit, log, stuck, timed, **kwargs):
        super().__init__(**kwargs)
        self.unit = unit
        self.log = log
        self.stuck = stuck
        self.timed = timed  # [(first, count, unit_ms)]
        self.timers = {}    # coil -> the pending switch-off

    def timed_coil(self, address):
        """The coil (and the time unit) a timed-pulse address stands for, or None."""
        for first, count, unit_ms in self.timed:
            if first <= address < first + count:
                return address - first, unit_ms
        return None

    def pulse(self, address, value):
        coil, unit_ms = self.timed_coil(address)
        self.note(5, address, value)
        self.store["c"].setValues(coil, [True])
        if coil in self.timers:
            self.timers[coil].cancel()
        self.timers[coil] = LOOP.call_later(value * unit_ms / 1000.0, self.store["c"].setValues, coil, [False])

    def note(self, fc_as_hex, address, count):
        if self.log:
            self.log.write(f"{self.unit} {fc_as_hex} {address} {count}\n")
            self.log.flush()

    # Every request is validated once, except bit reads in pymodbus 3.8 (which only get values).
    def validate(self, fc_as_hex, address, count=1):
        self.note(fc_as_hex, address, count)
        return self.store[self.decode(fc_as_hex)].validate(address, count)

    def getValues(self, fc_as_hex, address, count=1):
        if not PYMODBUS_30 and fc_as_hex in (1, 2):
            self.note(fc_as_hex, address, count)
        return self.store[self.decode(fc_as_hex)].getValues(address, count)

    def setValues(self, fc_as_hex, address, values):
        table = "co" if fc_as_hex in (5, 15) else "hr"
        if len(values) == 1 and (table, address) in self.stuck:
            return
        self.store[self.decode(fc_as_hex)].setValues(address, values)


LOOP = None  # the server's event loop, for the timed coils


def raw_coil_writes(request, response):
    """Function 05 requests keep the value written (`raw`: a board's time, not only FF00/0000);
    the returned response class answers it back as written."""
    class Echo(response):
        def encode(self):
            return struct.pack(">HH", self.address, self.raw)

    plain_decode = request.decode

    def decode(self, data):
        plain_decode(self, data)
        self.raw = struct.unpack(">HH", data)[1]

    request.decode = decode
    return Echo


def timed_pulse(request, context, make_echo):
    """The echo of a timed pulse when `request` writes one of the unit's timed coils, else None."""
    if not isinstance(context, LoggedUnit) or context.timed_coil(request.address) is None:
        return None
    context.pulse(request.address, request.raw)
    echo = make_echo()
    echo.raw = request.raw
    return echo


def serve_timed_coils():
    """Function 05 with any value (not only FF00/0000) reaches the unit's timed coils, and is echoed."""
    if PYMODBUS_30:
        from pymodbus.bit_write_message import WriteSingleCoilRequest, WriteSingleCoilResponse
        Echo = raw_coil_writes(WriteSingleCoilRequest, WriteSingleCoilResponse)
        plain_execute = WriteSingleCoilRequest.execute

        def execute(self, context):
            echo = timed_pulse(self, context, lambda: Echo(self.address, bool(self.raw)))
            return echo if echo is not None else plain_execute(self, context)

        WriteSingleCoilRequest.execute = execute
    else:
        # pymodbus 3.8 (Debian 13) runs requests through update_datastore.
        from pymodbus.pdu.bit_message import WriteSingleCoilRequest, WriteSingleCoilResponse
        Echo = raw_coil_writes(WriteSingleCoilRequest, WriteSingleCoilResponse)
        plain_update = WriteSingleCoilRequest.update_datastore

        async def update_datastore(self, context):
            echo = timed_pulse(self, context, lambda: Echo(address=self.address, bits=[bool(self.raw)],
                                                          dev_id=self.dev_id, transaction_id=self.transaction_id))
            return echo if echo is not None else await plain_update(self, context)

        WriteSingleCoilRequest.update_datastore = update_datastore


FORMATS = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "float32": ">f",
           "int64": ">q", "uint64": ">Q", "float64": ">d"}


def encode(value, kind, order):
    """Registers of `value`: big-endian bytes A B C D ..., then the device's order applied."""
    raw = struct.pack(FORMATS[kind], int(value) if "int" in kind else float(value))
    words = [raw[i:i + 2] for i in range(0, len(raw), 2)]
    if order in ("BADC", "DCBA"):
        words = [w[::-1] for w in words]
    if order in ("CDAB", "DCBA"):
        words = words[::-1]
    return [int.from_bytes(w, "big") for w in words]


def block(size, values):
    data = [0] * size
    for address, value in values.items():
        data[int(address, 0)] = value
    return ModbusSequentialDataBlock(0, data)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tcp", type=int)
    parser.add_argument("--rtu")
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--spec", required=True)
    parser.add_argument("--log")
    args = parser.parse_args()
    spec = json.loads(args.spec)
    size = spec.get("size", 1024)
    log = open(args.log, "a", buffering=1) if args.log else None
    global LOOP
    LOOP = asyncio.get_running_loop()
    if spec.get("timed_coils"):
        serve_timed_coils()
    slaves = {}
    for unit, tables in spec.get("units", {}).items():
        unit = int(unit)
        stuck = {("co", a) for u, a in spec.get("stuck_coils", []) if u == unit}
        stuck |= {("hr", a) for u, a in spec.get("stuck_registers", []) if u == unit}
        timed = [(first, count, unit_ms) for u, first, count, unit_ms in spec.get("timed_coils", []) if u == unit]
        slaves[unit] = LoggedUnit(unit, log, stuck, timed, di=block(size, tables.get("di", {})), co=block(size, tables.get("co", {})),
                                  hr=block(size, tables.get("hr", {})), ir=block(size, tables.get("ir", {})))
    for v in spec.get("values", []):
        regs = encode(v["value"], v["type"], v.get("order", "ABCD"))
        table = v.get("table", "hr")
        slaves[int(v.get("unit", 1))].store[{"hr": "h", "ir": "i"}[table]].setValues(v["address"], regs)
    context = ModbusServerContext(slaves=slaves, single=False)
    if not PYMODBUS_30:
        if args.rtu:
            server = ModbusSerialServer(context, framer=FramerType.RTU, port=args.rtu, baudrate=args.baud,
                                        ignore_missing_slaves=True)
        else:
            server = ModbusTcpServer(context, framer=FramerType.SOCKET, address=("127.0.0.1", args.tcp),
                                     ignore_missing_slaves=True)
        await server.serve_forever(background=True)
        if args.rtu:
            print("listening", flush=True)
        else:
            print("listening", server.transport.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()
    elif args.rtu:
        server = ModbusSerialServer(context, framer=ModbusRtuFramer, port=args.rtu, baudrate=args.baud,
                                    ignore_missing_slaves=True)
        await server.start()
        print("listening", flush=True)
        await asyncio.Event().wait()
    else:
        server = ModbusTcpServer(context, framer=ModbusSocketFramer, address=("127.0.0.1", args.tcp),
                                 allow_reuse_address=True, ignore_missing_slaves=True)
        task = asyncio.create_task(server.serve_forever())
        await server.serving
        print("listening", server.server.sockets[0].getsockname()[1], flush=True)
        await task


if __name__ == "__main__":
    logging.basicConfig(level=logging.CRITICAL, stream=sys.stderr)
    asyncio.run(main())
