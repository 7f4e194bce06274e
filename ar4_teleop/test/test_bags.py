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

"""open_bag on bags written with rosbags, then damaged or aged the ways real recordings are."""

import shutil
import sqlite3
import struct

from ar4_teleop.recording.bags import BagError, normalize_type, open_bag
from lz4.frame import compress as lz4_compress
import numpy as np
import pytest
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.rosbag2.enums import CompressionFormat, CompressionMode
from rosbags.typesys import get_typestore, Stores
from ruamel.yaml import YAML

TS = get_typestore(Stores.ROS2_JAZZY)
T = TS.types
FLOAT = 'std_msgs/msg/Float64'
IMAGE = 'sensor_msgs/msg/Image'
TOPICS = ('/a', '/b', '/camera')
START = 1_700_000_000_000_000_000
PERIOD = 10_000_000
PIXELS = np.random.default_rng(0).integers(0, 256, 480 * 640 * 3, np.uint8)  # no zstd gain


def write_bag(path, storage=StoragePlugin.MCAP, count=300, image_every=30, start=START,
              compress=False):
    """
    Write Float64 i on /a and -i on /b every 10 ms, a 480x640 rgb8 image every 30 of them.

    Return what was written: [(topic, log ns, value or image frame_id)]. Images make the rosbags
    MCAP writer close a chunk about every two images, so the MCAP file has several chunks.
    """
    writer = Writer(path, version=9, storage_plugin=storage)
    if compress:
        writer.set_compression(CompressionMode.STORAGE, CompressionFormat.ZSTD)  # zstd chunks
    written = []
    with writer as bag:
        a, b = (bag.add_connection(topic, FLOAT, typestore=TS) for topic in TOPICS[:2])
        camera = bag.add_connection('/camera', IMAGE, typestore=TS)
        for i in range(count):
            ns = start + i * PERIOD
            for conn, value, offset in ((a, float(i), 0), (b, float(-i), 1)):
                bag.write(conn, ns + offset, TS.serialize_cdr(T[FLOAT](data=value), FLOAT))
                written.append((conn.topic, ns + offset, value))
            if i % image_every == 0:
                header = T['std_msgs/msg/Header'](
                    stamp=T['builtin_interfaces/msg/Time'](sec=0, nanosec=0), frame_id=str(i))
                image = T[IMAGE](header=header, height=480, width=640, encoding='rgb8',
                                 is_bigendian=0, step=1920, data=PIXELS)
                bag.write(camera, ns + 2, TS.serialize_cdr(image, IMAGE))
                written.append(('/camera', ns + 2, str(i)))
    return written


def read_all(bag, topics=TOPICS):
    """Return [(topic, log ns, value or frame_id)] read with bag.messages()."""
    return [(topic, ns, msg.header.frame_id if topic == '/camera' else msg.data)
            for topic, ns, msg in bag.messages(topics)]


def by_topic(messages, topic):
    """Return the messages of one topic."""
    return [m for m in messages if m[0] == topic]


@pytest.fixture(scope='module')
def bags(tmp_path_factory):
    """Write an MCAP, an sqlite3 and a zstd-chunk MCAP bag once for the module."""
    root = tmp_path_factory.mktemp('bags')
    made = {}
    for name, storage, compress in (('mcap', StoragePlugin.MCAP, False),
                                    ('sqlite3', StoragePlugin.SQLITE3, False),
                                    ('zstd', StoragePlugin.MCAP, True)):
        made[name] = (root / name, write_bag(root / name, storage, compress=compress))
    return made


def copy_bag(bags, name, tmp_path):
    """Copy a module bag folder so a test may damage it; return the copy and what was written."""
    folder, written = bags[name]
    return shutil.copytree(folder, tmp_path / name), written


def edit_metadata(folder, edit):
    """Apply edit(info) to the rosbag2_bagfile_information of a bag's metadata.yaml."""
    yaml = YAML(typ='safe')
    path = folder / 'metadata.yaml'
    document = yaml.load(path.read_text())
    edit(document['rosbag2_bagfile_information'])
    with path.open('w') as stream:
        yaml.dump(document, stream)


def test_normalize_type():
    assert normalize_type('sensor_msgs/Image') == 'sensor_msgs/msg/Image'
    assert normalize_type(' sensor_msgs/msg/Image\n') == 'sensor_msgs/msg/Image'
    assert normalize_type('std_msgs::msg::Float64') == 'std_msgs/msg/Float64'


@pytest.mark.parametrize('name', ['mcap', 'sqlite3', 'zstd'])
def test_complete_folders_read_everything_in_order(bags, name):
    folder, written = bags[name]
    suffix = '.db3' if name == 'sqlite3' else '.mcap'
    with open_bag(str(folder)) as bag:
        assert bag.path == folder and bag.storage_file == folder / f'{name}{suffix}'
        assert bag.storage == ('sqlite3' if name == 'sqlite3' else 'mcap')
        assert list(bag.topics) == list(TOPICS) and bag.notes == []
        info = bag.topics['/camera']
        assert (info.msgtype, info.raw_type, info.count) == (IMAGE, IMAGE, 10)
        assert bag.topics['/a'].count == 300
        assert read_all(bag) == sorted(written, key=lambda m: m[1])
        assert bag.stopped is None and bag.undecodable == 0
        assert read_all(bag, ['/b', '/missing']) == by_topic(written, '/b')
        assert bag.first('/camera').header.frame_id == '0' and bag.first('/b').data == 0.0
        assert bag.first('/missing') is None
        lines = bag.describe_topics().splitlines()
        assert lines[0].split() == ['/a', FLOAT, '(300', 'messages)']
        assert lines[2].split() == ['/camera', IMAGE, '(10', 'messages)']


@pytest.mark.parametrize('name', ['mcap', 'sqlite3'])
def test_storage_file_or_metadata_yaml_given_directly(bags, name):
    folder, written = bags[name]
    storage_file = next(p for p in folder.iterdir() if p.suffix in ('.mcap', '.db3'))
    with open_bag(storage_file) as bag:
        assert bag.storage_file == storage_file and bag.topics['/a'].count == 300
        assert read_all(bag) == sorted(written, key=lambda m: m[1])
    with open_bag(folder / 'metadata.yaml') as bag:
        assert bag.storage_file == storage_file
        assert read_all(bag, ['/a']) == by_topic(written, '/a')


@pytest.mark.parametrize('name', ['mcap', 'sqlite3'])
def test_folder_without_metadata_reads_its_one_storage_file(bags, name, tmp_path):
    folder, written = copy_bag(bags, name, tmp_path)
    (folder / 'metadata.yaml').unlink()
    with open_bag(folder) as bag:
        assert bag.storage_file.parent == folder and 'no metadata.yaml' in bag.notes[0]
        assert bag.topics['/b'].count == 300
        assert read_all(bag) == sorted(written, key=lambda m: m[1])


@pytest.mark.parametrize('version', [4, 5])
def test_old_metadata_versions(tmp_path, version):
    folder = tmp_path / 'old'
    written = write_bag(folder, StoragePlugin.SQLITE3, count=30)

    def age(info):
        info['version'] = version
        for key in ('custom_data', 'ros_distro') + (('files',) if version < 5 else ()):
            info.pop(key, None)
        for topic in info['topics_with_message_count']:
            topic['topic_metadata'].pop('type_description_hash')
            topic['topic_metadata']['offered_qos_profiles'] = ''  # a string before version 9
    edit_metadata(folder, age)
    with open_bag(folder) as bag:
        assert bag.topics['/a'].count == 30
        assert read_all(bag) == sorted(written, key=lambda m: m[1])


def age_sqlite_types(folder):
    """Make an sqlite3 bag look like one from the first ROS 2 releases: old names, no schema."""
    with sqlite3.connect(next(folder.glob('*.db3'))) as db:
        db.executescript("""
            DROP TABLE schema;
            DROP TABLE message_definitions;
            CREATE TABLE old_topics(id INTEGER PRIMARY KEY, name TEXT NOT NULL,
                                    type TEXT NOT NULL, serialization_format TEXT NOT NULL);
            INSERT INTO old_topics SELECT id, name, replace(type, '/msg/', '/'),
                                          serialization_format FROM topics;
            DROP TABLE topics;
            ALTER TABLE old_topics RENAME TO topics;
        """)
    db.close()
    metadata = folder / 'metadata.yaml'
    metadata.write_text(metadata.read_text().replace('/msg/', '/'))


@pytest.mark.parametrize('with_metadata', [True, False])
def test_old_type_names_are_normalized_and_deserialized(tmp_path, with_metadata):
    folder = tmp_path / 'crystal'
    written = write_bag(folder, StoragePlugin.SQLITE3, count=60)
    age_sqlite_types(folder)
    if not with_metadata:
        (folder / 'metadata.yaml').unlink()
    with open_bag(folder) as bag:
        info = bag.topics['/camera']
        assert (info.name, info.msgtype, info.raw_type, info.count) == (
            '/camera', IMAGE, 'sensor_msgs/Image', 2)
        assert bag.topics['/a'].raw_type == 'std_msgs/Float64'
        assert read_all(bag) == sorted(written, key=lambda m: m[1])
        assert bag.undecodable == 0 and bag.first('/camera').width == 640


def cut(folder, end):
    """Cut a bag's .mcap file at byte ``end`` (a fraction of its size when a float)."""
    path = next(folder.glob('*.mcap'))
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * end) if isinstance(end, float) else end])
    return len(data)


@pytest.mark.parametrize('name', ['mcap', 'zstd'])
@pytest.mark.parametrize('end', [20, 0.3, 0.6, 0.95])
def test_truncated_mcap_gives_a_prefix_of_each_topic(bags, tmp_path, name, end):
    folder, written = copy_bag(bags, name, tmp_path)
    (folder / 'metadata.yaml').unlink()  # killed before writing it
    cut(folder, end)
    with open_bag(folder) as bag:
        assert any('without its index' in note for note in bag.notes)
        got = read_all(bag)
        assert bag.stopped and bag.stopped.startswith(f'reading stopped after {len(got)} ')
        assert [m[1] for m in got] == sorted(m[1] for m in got)
        for topic in TOPICS:
            mine = by_topic(got, topic)
            assert mine == by_topic(written, topic)[:len(mine)]
            assert bag.topics[topic].count == len(mine) if topic in bag.topics else not mine
        if end != 20:  # a chunk holds about two images
            assert len(by_topic(got, '/camera')) >= int(end * 10) - 2
        if end == 0.95:  # all chunks but the last
            assert 8 <= len(by_topic(got, '/camera')) < 10
            assert bag.first('/a').data == 0.0
        if end == 20:  # inside the Header record
            assert bag.topics == {} and got == [] and 'Header' in bag.stopped


def data_section(data):
    """Yield (offset, opcode, content) of an MCAP file's top-level records up to DataEnd."""
    offset = 8
    while data[offset] != 0x0F:
        opcode, length = struct.unpack_from('<BQ', data, offset)
        yield offset, opcode, data[offset + 9:offset + 9 + length]
        offset += 9 + length


def rewrite_chunks(path, how):
    """
    Rewrite the uncompressed chunks of an MCAP file as lz4 chunks or as top-level records.

    'lz4': chunks compressed with lz4; 'unchunked': their records at the top level (rosbag2's
    'fastwrite' preset). The summary and footer are dropped, as when a recorder is killed.
    """
    data = path.read_bytes()
    out = [data[:8]]
    for offset, opcode, content in data_section(data):
        if opcode != 0x06:
            out.append(data[offset:offset + 9 + len(content)])
            continue
        assert content[28:32] == bytes(4)  # rosbags writes chunks with compression ''
        if how == 'unchunked':
            out.append(content[40:])
            continue
        packed = lz4_compress(content[40:])
        content = content[:28] + struct.pack('<I', 3) + b'lz4' + struct.pack('<Q', len(packed))
        out.append(struct.pack('<BQ', 0x06, len(content) + len(packed)) + content + packed)
    path.write_bytes(b''.join(out))


@pytest.mark.parametrize('how', ['lz4', 'unchunked'])
def test_mcap_without_summary_lz4_or_unchunked(bags, tmp_path, how):
    folder, written = copy_bag(bags, 'mcap', tmp_path)
    (folder / 'metadata.yaml').unlink()
    path = folder / 'mcap.mcap'
    rewrite_chunks(path, how)
    with open_bag(folder) as bag:
        assert read_all(bag) == sorted(written, key=lambda m: m[1])
        assert 'without its footer' in bag.stopped and bag.topics['/a'].count == 300
    cut(folder, 0.5)
    with open_bag(folder) as bag:
        got = read_all(bag)
        assert 'ends inside' in bag.stopped and 0 < len(got) < len(written)
        assert got == sorted(written, key=lambda m: m[1])[:len(got)]


def test_damaged_chunk_in_an_indexed_mcap_stops_reading(bags, tmp_path):
    folder, written = copy_bag(bags, 'mcap', tmp_path)
    path = folder / 'mcap.mcap'
    data = bytearray(path.read_bytes())
    chunks = [offset for offset, opcode, _ in data_section(bytes(data)) if opcode == 0x06]
    first_record = chunks[2] + 9 + 40  # inside chunk 3, after the chunk header
    data[first_record + 1:first_record + 9] = struct.pack('<Q', 2 ** 40)
    path.write_bytes(bytes(data))
    with open_bag(folder) as bag:
        assert bag.notes == [] and bag.topics['/a'].count == 300  # rosbags reads the index
        got = read_all(bag)
        assert 'cannot be read further' in bag.stopped and 0 < len(got) < len(written)
        assert got == sorted(written, key=lambda m: m[1])[:len(got)]


def test_mcap_missing_only_its_last_byte_reads_completely(bags, tmp_path):
    folder, written = copy_bag(bags, 'mcap', tmp_path)
    size = cut(folder, -1)
    with open_bag(folder) as bag:  # metadata.yaml is there: its file list is used
        assert bag.notes and read_all(bag) == sorted(written, key=lambda m: m[1])
        assert bag.stopped is None and bag.topics['/camera'].count == 10
    assert size > 1


def test_split_bag_with_a_truncated_last_file(tmp_path):
    parts = [tmp_path / 'part0', tmp_path / 'part1']
    written = write_bag(parts[0], count=60)
    first_part = len(written)
    written += write_bag(parts[1], count=60, start=START + 60 * PERIOD)
    folder = tmp_path / 'split'
    shutil.copytree(parts[0], folder)
    shutil.copy(parts[1] / 'part1.mcap', folder)

    def join(info):
        info['relative_file_paths'] = ['split_0.mcap', 'split_1.mcap']
        for topic in info['topics_with_message_count']:
            topic['message_count'] *= 2
        info.pop('files')
    (folder / 'part0.mcap').rename(folder / 'split_0.mcap')
    (folder / 'part1.mcap').rename(folder / 'split_1.mcap')
    edit_metadata(folder, join)
    with open_bag(folder) as bag:
        assert bag.storage_file == folder / 'split_0.mcap' and bag.topics['/a'].count == 120
        assert read_all(bag) == sorted(written, key=lambda m: m[1])
    data = (folder / 'split_1.mcap').read_bytes()
    (folder / 'split_1.mcap').write_bytes(data[:len(data) // 2])
    with open_bag(folder) as bag:
        got = read_all(bag)
        assert bag.stopped and 'split_1.mcap ends inside' in bag.stopped
        assert first_part <= len(got) < len(written)
        assert got == sorted(written, key=lambda m: m[1])[:len(got)]


def test_bad_paths_say_what_was_expected(bags, tmp_path):
    with pytest.raises(BagError, match='no such file or folder'):
        open_bag(tmp_path / 'missing')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(BagError, match='no .mcap or .db3 file.*expected a rosbag2 folder'):
        open_bag(tmp_path / 'empty')
    (tmp_path / 'notes.txt').write_text('not a bag')
    with pytest.raises(BagError, match='not a rosbag2 recording'):
        open_bag(tmp_path / 'notes.txt')
    (tmp_path / 'notes.mcap').write_text('not a bag either')
    with pytest.raises(BagError, match='not an MCAP file'):
        open_bag(tmp_path / 'notes.mcap')
    with pytest.raises(BagError, match='holds bag folders \\(mcap, sqlite3, zstd\\)'):
        open_bag(bags['mcap'][0].parent)
    two = tmp_path / 'two'
    two.mkdir()
    for name in ('a.mcap', 'b.mcap'):
        shutil.copy(next(bags['mcap'][0].glob('*.mcap')), two / name)
    with pytest.raises(BagError, match=r'several storage files \(a.mcap, b.mcap\).*reindex'):
        open_bag(two)


@pytest.mark.parametrize('end', [0.3, 0.95])
def test_truncated_sqlite3_is_a_bag_error(bags, tmp_path, end):
    folder, _ = copy_bag(bags, 'sqlite3', tmp_path)
    path = folder / 'sqlite3.db3'
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * end)])
    with pytest.raises(BagError, match='malformed'):
        open_bag(folder)


def test_undecodable_message_is_skipped_and_noted(tmp_path):
    with Writer(tmp_path / 'bad', version=9, storage_plugin=StoragePlugin.MCAP) as bag:
        conn = bag.add_connection('/a', FLOAT, typestore=TS)
        bag.write(conn, 1, TS.serialize_cdr(T[FLOAT](data=1.0), FLOAT))
        bag.write(conn, 2, b'\x00\x01')
        bag.write(conn, 3, TS.serialize_cdr(T[FLOAT](data=3.0), FLOAT))
    with open_bag(tmp_path / 'bad') as bag:
        assert [msg.data for _, _, msg in bag.messages(['/a'])] == [1.0, 3.0]
        assert bag.undecodable == 1 and 'cannot be deserialized' in bag.notes[-1]
        assert bag.stopped is None
