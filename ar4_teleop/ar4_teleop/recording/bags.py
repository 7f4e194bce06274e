# Copyright 2026 The AR4 LeRobot Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
Open rosbag2 recordings made by other ROS 2 systems, damaged ones included (pure Python).

A bag is a folder with metadata.yaml (versions 4..9), a folder without it holding one ``.mcap``
or ``.db3`` file (a recording killed before writing it, or one from the first ROS 2 releases), or
a storage file given directly. rosbags' ``Reader`` reads it; this module finds what to read, turns
rosbags' exceptions into a BagError that says what to do, normalizes old type names
(``sensor_msgs/Image``) and deserializes with the bag's own definitions where it embeds them, the
Jazzy ones otherwise.

A recording killed mid-write leaves an MCAP file without its summary and footer, which rosbags
refuses. Such a file is read here record by record, up to the first incomplete or damaged record
or chunk, where reading stops cleanly and says why (``Bag.stopped``). Its channels are found by
scanning the whole file at open: rosbag2's writer puts each channel in the chunk of its topic's
first message, so no shorter scan finds them all. The scan counts the complete messages too, so
``TopicInfo.count`` is exact there. Damaged sqlite3 files are not recovered: BagError.
"""

from binascii import crc32
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePath
import re
import struct
import sys
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

from lz4.frame import decompress as lz4_decompress
from rosbags.interfaces import MessageDefinitionFormat
from rosbags.rosbag2 import Reader
from rosbags.typesys import get_types_from_idl, get_types_from_msg, get_typestore, Stores
from ruamel.yaml import YAML

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

MCAP_MAGIC = b'\x89MCAP0\r\n'
STORAGE_SUFFIXES = {'.mcap': 'mcap', '.db3': 'sqlite3'}
_EXPECTED = 'expected a rosbag2 folder, its metadata.yaml, or a .mcap or .db3 file'
_FOOTER, _SCHEMA, _CHANNEL, _MESSAGE, _CHUNK, _DATA_END = 0x02, 0x03, 0x04, 0x05, 0x06, 0x0F
_NAMES = {0x01: 'Header', _SCHEMA: 'Schema', _CHANNEL: 'Channel', _MESSAGE: 'Message',
          _CHUNK: 'Chunk'}
_RECORD = struct.Struct('<BQ')  # opcode, content length
_DECOMPRESS = {'': bytes, 'zstd': zstd.decompress, 'lz4': lz4_decompress}
_FORMATS = {'ros2msg': 'msg', 'ros2idl': 'idl', 'omgidl': 'idl',
            MessageDefinitionFormat.MSG: 'msg', MessageDefinitionFormat.IDL: 'idl'}


class BagError(Exception):
    """A bag that cannot be read: the message says what and what to do (no traceback needed)."""


def normalize_type(msgtype: str) -> str:
    """Return a type name as Jazzy spells it: 'sensor_msgs/Image' -> 'sensor_msgs/msg/Image'."""
    parts = msgtype.strip().replace('::', '/').split('/')
    return '/'.join([parts[0], 'msg', parts[1]] if len(parts) == 2 else parts)


@dataclass(frozen=True)
class TopicInfo:
    """A topic of a bag; ``count`` is None when the bag does not say."""

    name: str
    msgtype: str
    raw_type: str
    count: Optional[int]


def _string(buf, pos: int) -> Tuple[str, int]:
    """Return the uint32-length-prefixed string at ``pos`` and the position after it."""
    end = pos + 4 + struct.unpack_from('<I', buf, pos)[0]
    if end > len(buf):
        raise ValueError('a string runs past its record')
    return bytes(buf[pos + 4:end]).decode(errors='replace'), end


def _parse(opcode: int, body) -> tuple:
    """Return (opcode, id, fields) of a Schema, Channel or Message record; raise if malformed."""
    if opcode == _MESSAGE:
        if len(body) < 22:
            raise ValueError('a Message record is too short')
        channel_id, _, log_ns = struct.unpack_from('<HIQ', body)
        return opcode, channel_id, (log_ns, body[22:])
    record_id, schema_id = struct.unpack_from('<HH', body)
    if opcode == _CHANNEL:
        return opcode, record_id, (_string(body, 4)[0], schema_id)
    name, pos = _string(body, 2)
    encoding, pos = _string(body, pos)
    return opcode, record_id, (name, encoding, _string(body, pos)[0])


def _chunk_records(body: bytes) -> List[tuple]:
    """Return the parsed records of a Chunk record's content; raise when it is damaged."""
    size, crc = struct.unpack_from('<QI', body, 16)
    compression, pos = _string(body, 28)
    end = pos + 8 + struct.unpack_from('<Q', body, pos)[0]
    if end > len(body) or compression not in _DECOMPRESS:
        raise ValueError(f'bad chunk header (compression {compression!r})')
    raw = memoryview(_DECOMPRESS[compression](body[pos + 8:end]))
    if len(raw) != size or (crc and crc32(raw) != crc):
        raise ValueError('the chunk fails its length or checksum check')
    records, pos = [], 0
    while pos < len(raw):
        opcode, length = _RECORD.unpack_from(raw, pos)
        if pos + 9 + length > len(raw):
            raise ValueError('a record runs past the end of its chunk')
        if opcode in (_SCHEMA, _CHANNEL, _MESSAGE):
            records.append(_parse(opcode, raw[pos + 9:pos + 9 + length]))
        pos += 9 + length
    return records


class _McapFile:
    """One MCAP file read record by record: its data section only, no summary or index needed."""

    def __init__(self, path: Path):
        self.path = path
        self.channels: Dict[int, tuple] = {}  # id -> (topic, type, definition format, text)
        self.counts: Dict[int, int] = {}  # channel id -> complete messages
        self.start_ns: Optional[int] = None
        self.end: Optional[str] = None  # why the data ends early; None after DataEnd or Footer

    def groups(self) -> Iterator[List[tuple]]:
        """Yield the parsed records of each chunk, or of one top-level record, in file order."""
        size, self.end = self.path.stat().st_size, None
        with self.path.open('rb') as stream:
            offset = stream.seek(len(MCAP_MAGIC))
            while True:
                head = stream.read(9)
                if len(head) < 9:
                    where = 'inside a record header' if head else 'after a complete record'
                    self.end = f'{self.path.name} ends {where}, without its footer'
                    return
                opcode, length = _RECORD.unpack(head)
                kind, offset, start = _NAMES.get(opcode, hex(opcode)), offset + 9 + length, offset
                if opcode in (_DATA_END, _FOOTER):
                    return
                if opcode == 0 or offset > size:
                    self.end = f'{self.path.name} ends inside a {kind} record (byte {start})'
                    return
                if opcode not in _NAMES or opcode == 0x01:
                    stream.seek(length, 1)
                    continue
                try:
                    body = stream.read(length)
                    group = _chunk_records(body) if opcode == _CHUNK else [_parse(opcode, body)]
                except Exception as error:  # noqa: B902 - struct, zstd and lz4 errors alike
                    self.end = f'{self.path.name} has a damaged {kind} at byte {start} ({error})'
                    return
                yield group

    def scan(self) -> None:
        """Find the channels and their types, and count the complete messages."""
        schemas, channels = {}, {}
        for group in self.groups():
            for opcode, record_id, fields in group:
                if opcode == _SCHEMA:
                    schemas[record_id] = fields
                elif opcode == _CHANNEL:
                    channels[record_id] = fields
                else:
                    self.counts[record_id] = self.counts.get(record_id, 0) + 1
                    if self.start_ns is None or fields[0] < self.start_ns:
                        self.start_ns = fields[0]
        for channel_id, (topic, schema_id) in channels.items():
            name, encoding, text = schemas.get(schema_id, ('', '', ''))  # 0: no schema
            self.channels[channel_id] = (topic, name, _FORMATS.get(encoding, ''), text)


@lru_cache(maxsize=8)  # the bags of one conversion usually share their definitions
def _typestore(definitions: Tuple[Tuple[str, str, str], ...]) -> tuple:
    """Return (typestore, problems): the Jazzy types, overridden by a bag's definitions."""
    jazzy = get_typestore(Stores.ROS2_JAZZY)
    if not definitions:
        return jazzy, ()
    types, problems = dict(jazzy.fielddefs), []
    for name, fmt, text in definitions:
        try:
            if fmt == 'msg':
                types.update(get_types_from_msg(text, name))
                continue
            # rosbag2 joins a type's IDL files, each after a line of 80 '=' and an 'IDL:' line.
            for idl in re.split(r'^={80}\nIDL: [^\n]*\n', text, flags=re.MULTILINE):
                types.update(get_types_from_idl(idl) if idl.strip() else {})
        except Exception as error:  # noqa: B902 - a bad definition: use Jazzy's
            problems.append(f'the definition of {name} in the bag is unreadable ({error})')
    store = get_typestore(Stores.EMPTY)
    try:
        store.register(types)
    except Exception as error:  # noqa: B902 - e.g. a definition naming a missing type
        return jazzy, tuple(problems) + (f'using the Jazzy definitions: {error}',)
    return store, tuple(problems)


class Bag:
    """An open rosbag2 recording (use open_bag); a context manager (close() on exit)."""

    def __init__(self, path: Path, storage_file: Path, storage: str, notes: List[str]):
        self.path, self.storage_file, self.storage = path, storage_file, storage
        self.topics: Dict[str, TopicInfo] = {}
        self.notes, self.stopped, self.undecodable = notes, None, 0
        self._reader: Optional[Reader] = None
        self._mcap_files: List[_McapFile] = []
        self._definitions: Dict[str, Tuple[str, str]] = {}  # type -> (format, definition)
        self._start_ns: Optional[int] = None
        self._typestore = None

    def _add(self, name: str, raw_type: str, count: int, fmt: str, text: str) -> None:
        known = self.topics.get(name)  # a topic in several files: its first type, all counts
        raw_type = known.raw_type if known else raw_type
        self.topics[name] = TopicInfo(name, normalize_type(raw_type), raw_type,
                                      count + (known.count if known else 0))
        if fmt and text.strip():
            self._definitions.setdefault(normalize_type(raw_type), (fmt, text))

    def _use_reader(self, reader: Reader) -> None:
        self._reader = reader
        for conn in reader.connections:
            self._add(conn.topic, conn.msgtype, conn.msgcount,
                      _FORMATS.get(conn.msgdef.format, ''), conn.msgdef.data)
        self._start_ns = reader.start_time if reader.message_count else None

    def _use_records(self, files: List[Path], error: Exception) -> None:
        for file in files:
            with file.open('rb') as stream:
                head = stream.read(len(MCAP_MAGIC))
                stream.seek(-min(len(MCAP_MAGIC), file.stat().st_size), 2)
                complete = stream.read() == MCAP_MAGIC
            if head != MCAP_MAGIC:
                raise BagError(f'{file}: ' + (f'not an MCAP file ({error})' if head else
                                              'the file is empty (nothing was recorded)'))
            mcap = _McapFile(file)
            mcap.scan()
            self._mcap_files.append(mcap)
            why = (f'rosbags cannot open it ({error})' if complete else
                   'the file ends without its index (recording interrupted?)')
            self.notes.append(f'{file.name}: {why}: reading its {sum(mcap.counts.values())} '
                              f'complete messages record by record' +
                              (f' ({mcap.end})' if mcap.end else ''))
            for channel_id, fields in mcap.channels.items():
                self._add(fields[0], fields[1], mcap.counts.get(channel_id, 0), *fields[2:])
            if self._start_ns is None:
                self._start_ns = mcap.start_ns  # the files of a split bag are in time order

    def _raw(self, topics: Set[str]):
        """Yield (topic, log ns, raw type, data); return why reading stopped early, or None."""
        if self._reader is not None:
            connections = [c for c in self._reader.connections if c.topic in topics]
            stream = self._reader.messages(connections=connections) if connections else iter(())
            while True:
                try:
                    conn, log_ns, data = next(stream)
                except StopIteration:
                    return None
                except Exception as error:  # noqa: B902 - rosbags, apsw, zstd errors alike
                    return f'the bag cannot be read further ({error})'
                yield conn.topic, log_ns, conn.msgtype, data
        for mcap in self._mcap_files:
            wanted = {i: fields for i, fields in mcap.channels.items() if fields[0] in topics}
            for group in mcap.groups():
                # A chunk holds its messages in write order: sort each chunk by log time, and
                # assume the chunks follow each other in time, as rosbag2's writer makes them.
                batch = sorted(((fields[0], record_id, fields[1]) for opcode, record_id, fields
                                in group if opcode == _MESSAGE and record_id in wanted),
                               key=lambda message: message[0])
                for log_ns, channel_id, data in batch:
                    yield wanted[channel_id][0], log_ns, wanted[channel_id][1], data
            if mcap.end:
                return mcap.end
        return None

    def _deserialize(self, data, raw_type: str) -> object:
        if self._typestore is None:
            self._typestore, problems = _typestore(tuple(
                (name, fmt, text) for name, (fmt, text) in sorted(self._definitions.items())))
            self.notes.extend(problems)
        return self._typestore.deserialize_cdr(data, normalize_type(raw_type))

    def messages(self, topics: Sequence[str]) -> Iterator[Tuple[str, int, object]]:
        """
        Yield (topic, log time ns, deserialized message) of the given topics in log-time order.

        Topics the bag lacks are ignored. Never raises for a damaged bag: reading ends and sets
        ``stopped``; a message that fails to deserialize is skipped and counted in
        ``undecodable`` (since open), the first error noted in ``notes``.
        """
        self.stopped, count, last_ns = None, 0, None
        raw = self._raw(set(topics))
        while True:
            try:
                topic, log_ns, raw_type, data = next(raw)
            except StopIteration as done:
                if done.value:
                    when = ('' if last_ns is None or self._start_ns is None else
                            f' (log time {(last_ns - self._start_ns) / 1e9:.3f} s)')
                    self.stopped = f'reading stopped after {count} messages{when}: {done.value}'
                return
            last_ns = log_ns
            try:
                msg = self._deserialize(data, raw_type)
            except Exception as error:  # noqa: B902 - whatever the typestore raises
                self.undecodable += 1
                if self.undecodable == 1:
                    self.notes.append(f'skipped a {topic} message that cannot be deserialized '
                                      f'as {normalize_type(raw_type)} ({error})')
                continue
            count += 1
            yield topic, log_ns, msg

    def first(self, topic: str) -> Optional[object]:
        """Return the first message of a topic, or None; read no further than that message."""
        raw = self._raw({topic})
        try:
            for _, _, raw_type, data in raw:
                return self._deserialize(data, raw_type)
        except Exception:  # noqa: B902 - undecodable: messages() says why
            return None
        finally:
            raw.close()
        return None

    def describe_topics(self) -> str:
        """Return one line per topic: name, type and message count."""
        width = max((len(name) for name in self.topics), default=0)
        return '\n'.join(
            f'  {info.name:<{width}}  {info.msgtype}  ' +
            ('(count unknown)' if info.count is None else f'({info.count} messages)')
            for info in self.topics.values())

    def close(self) -> None:
        """Close the storage files (safe to call twice)."""
        reader, self._reader = self._reader, None
        if reader is not None:
            with suppress(Exception):  # closing a damaged bag must not fail
                reader.close()

    def __enter__(self) -> 'Bag':
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _metadata(folder: Path) -> Tuple[str, List[Path], bool]:
    """Return (storage, files, compressed) from metadata.yaml; rosbags reports what is wrong."""
    try:
        info = YAML(typ='safe').load((folder / 'metadata.yaml').read_text())
        info = info['rosbag2_bagfile_information']
        mode = str(info.get('compression_mode') or '').lower()
        return (str(info['storage_identifier']), [folder / PurePath(name).name for name in
                                                  info['relative_file_paths']],
                mode not in ('', 'none'))
    except Exception:  # noqa: B902 - unreadable metadata: rosbags' own error is clearer
        return '', [], True


def open_bag(path: Union[str, Path]) -> Bag:
    """Open a rosbag2 recording given as its folder or as one of its files; raise BagError."""
    given = Path(path)
    target, notes = given.parent if given.name == 'metadata.yaml' else given, []
    if not given.exists():
        raise BagError(f'{given}: no such file or folder; {_EXPECTED}')
    if target.is_dir() and not (target / 'metadata.yaml').is_file():
        found = sorted(p for p in target.iterdir() if p.suffix in STORAGE_SUFFIXES)
        if len(found) > 1:
            raise BagError(
                f'{given}: no metadata.yaml and several storage files '
                f'({", ".join(p.name for p in found)}): pass the folder of a complete bag, or '
                f'run `ros2 bag reindex {given}` to write its metadata.yaml')
        if not found:
            bags = sorted(p.name for p in target.iterdir() if (p / 'metadata.yaml').is_file())
            hint = f'; it holds bag folders ({", ".join(bags)}): pass those' if bags else ''
            raise BagError(f'{given}: no metadata.yaml and no .mcap or .db3 file{hint}; '
                           f'{_EXPECTED}')
        target = found[0]
        notes.append(f'no metadata.yaml: read {target.name} directly')
    if target.is_dir():
        storage, files, compressed = _metadata(target)
    elif target.suffix in STORAGE_SUFFIXES:
        storage, files, compressed = STORAGE_SUFFIXES[target.suffix], [target], False
        if (target.parent / 'metadata.yaml').is_file() and len(_metadata(target.parent)[1]) > 1:
            notes.append(f'read only {target.name}; pass its folder to read the whole bag')
    else:
        raise BagError(f'{given}: not a rosbag2 recording; {_EXPECTED}')
    bag = Bag(given, files[0] if files else target, storage, notes)
    try:
        reader = Reader(target)
        reader.open()
    except Exception as error:  # noqa: B902 - rosbags raises several types for bad bags
        if storage != 'mcap' or compressed or not files or not all(f.is_file() for f in files):
            raise BagError(f'{given}: cannot read the bag ({error})') from None
        bag._use_records(files, error)
    else:
        bag._use_reader(reader)
    return bag
