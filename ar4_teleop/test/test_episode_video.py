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

"""Encoding while recording gives the video and image stats stock lerobot makes from PNGs."""

import gc
import json
from pathlib import Path
import threading
import time

from ar4_teleop.recording import features
from ar4_teleop.recording.episode_video import (
    EncodingError, EpisodeVideo, process_thread_ids)
from ar4_teleop.recording.writer import DatasetWriter, repo_id_for
import av
from lerobot.datasets.lerobot_dataset import LeRobotDataset
import numpy as np
import pyarrow.parquet as pq
import pytest

# More than lerobot's 100 sampled frames, so the stats come from a subsample (sample_indices).
FRAMES = 120
TASK = 'place the teal cube on the top shelf'


def _images(count: int):
    """Frames with edges, motion and noise, so the encoder has real work and the stats vary."""
    rng = np.random.default_rng(7)
    height, width, _ = features.IMAGE_SHAPE
    rows, cols = np.mgrid[0:height, 0:width]
    for i in range(count):
        image = np.empty(features.IMAGE_SHAPE, np.uint8)
        image[..., 0] = (cols + 3 * i) % 256
        image[..., 1] = (rows // 2 + i) % 256
        image[..., 2] = rng.integers(0, 64, (height, width), dtype=np.uint8)
        image[100 + i:180 + i, 200 + 2 * i:260 + 2 * i] = (0, 128, 128)  # a teal cube moving
        yield image


def _vectors(i: int):
    return np.full(7, 0.01 * i, np.float32), np.full(7, 0.01 * i + 0.5, np.float32)


def _only_video(root: Path) -> Path:
    (video,) = sorted(root.glob('videos/*/*/*.mp4'))
    return video


def test_writer_stores_what_stock_lerobot_stores_from_pngs(tmp_path):
    stock_root = tmp_path / 'local' / 'stock'
    stock = LeRobotDataset.create(repo_id_for(stock_root), features.FPS,
                                  features.dataset_features(), root=stock_root,
                                  robot_type=features.ROBOT_TYPE)
    for i, image in enumerate(_images(FRAMES)):
        state, action = _vectors(i)
        stock.add_frame({features.IMAGE_KEY: image, features.STATE_KEY: state,
                         features.ACTION_KEY: action, 'task': TASK})
    stock.save_episode()
    stock.finalize()
    # (conftest.py puts the threads SVT-AV1 raised to SCHED_FIFO back after the test.)

    root = tmp_path / 'local' / 'streamed'
    with DatasetWriter.open(root) as writer:
        for i, image in enumerate(_images(FRAMES)):
            writer.add_frame(features.build_frame(image, *_vectors(i), TASK))
        writer.save_episode()
    assert not list(root.glob('tmp*')) and not (root / 'images').exists()

    assert _only_video(root).read_bytes() == _only_video(stock_root).read_bytes()
    stats = json.loads((root / 'meta' / 'stats.json').read_text())
    assert stats == json.loads((stock_root / 'meta' / 'stats.json').read_text())
    assert stats[features.IMAGE_KEY]['count'] == [100]
    (episodes,) = root.glob('meta/episodes/*/*.parquet')
    (stock_episodes,) = stock_root.glob('meta/episodes/*/*.parquet')
    image_columns = [c for c in pq.read_schema(episodes).names
                     if c.startswith(f'stats/{features.IMAGE_KEY}/')]
    assert len(image_columns) > 5
    assert (pq.read_table(episodes, columns=image_columns).to_pylist()
            == pq.read_table(stock_episodes, columns=image_columns).to_pylist())
    info = json.loads((root / 'meta' / 'info.json').read_text())
    stock_info = json.loads((stock_root / 'meta' / 'info.json').read_text())
    assert info['features'] == stock_info['features']

    loaded = LeRobotDataset(repo_id_for(root), root=root)
    assert loaded.num_frames == FRAMES
    assert loaded[FRAMES - 1][features.IMAGE_KEY].shape == (3, 480, 640)


def test_a_slow_encoder_blocks_the_producer_and_loses_no_frame(tmp_path):
    video = EpisodeVideo(tmp_path, 'take', features.FPS, max_queued=2)
    images = list(_images(12))
    for image in images:
        video.add(image)
    path, stats = video.finish()
    with av.open(str(path)) as container:
        decoded = [f.to_ndarray(format='rgb24') for f in container.decode(video=0)]
    assert len(decoded) == 12
    # AV1 at lerobot's crf 30 is lossy, but every decoded frame is nearest its own original:
    # none was dropped, repeated or reordered.
    errors = np.array([[np.abs(a.astype(int) - b.astype(int)).mean() for b in images]
                       for a in decoded])
    assert list(errors.argmin(axis=1)) == list(range(12)) and errors.diagonal().max() < 10
    assert stats['count'][0] == 12 and stats['mean'].shape == (3,)


def test_cancel_removes_the_temporary_video_even_with_a_full_queue(tmp_path):
    video = EpisodeVideo(tmp_path, 'take', features.FPS, max_queued=1)
    refused = []

    def produce():
        try:
            for image in _images(60):
                video.add(image)
        except EncodingError as error:
            refused.append(str(error))

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    while video.frames < 3:
        time.sleep(0.01)
    video.cancel()
    producer.join(timeout=30)
    assert not producer.is_alive() and refused == ['take.mp4: the take was discarded']
    assert not video.folder.exists()
    with pytest.raises(EncodingError, match='discarded'):
        video.finish()


def test_an_encoder_failure_fails_the_save_and_keeps_the_dataset(tmp_path):
    root = tmp_path / 'local' / 'demo'
    with DatasetWriter.open(root, log=lambda message: None) as writer:
        for i, image in enumerate(_images(3)):
            writer.add_frame(features.build_frame(image, *_vectors(i), TASK))
        writer.save_episode()
        # A frame the encoder cannot take (the writer's own checks would refuse it): the
        # failure reaches the caller through the save, not as a silent, shorter video.
        writer.add_frame(features.build_frame(next(_images(1)), *_vectors(0), TASK))
        writer._take.videos[features.IMAGE_KEY].add(np.zeros(features.IMAGE_SHAPE, np.float32))
        with pytest.raises(EncodingError):
            writer.save_episode()
        for i, image in enumerate(_images(4)):
            writer.add_frame(features.build_frame(image, *_vectors(i), TASK))
        assert writer.save_episode().index == 1
    assert not list(root.glob('tmp*'))
    loaded = LeRobotDataset(repo_id_for(root), root=root)
    assert loaded.num_episodes == 2 and loaded.num_frames == 7


def test_a_failed_encoder_ends_its_threads_without_the_garbage_collector(tmp_path):
    # A failed take must not leave its encoder to the collector: in a process that forks first
    # (flake8's pool, later in this suite) the child would free it, and SVT-AV1 would wait there
    # forever for threads fork did not copy. Seen as a hung suite.
    gc.collect()
    gc.disable()
    try:
        before = process_thread_ids()
        video = EpisodeVideo(tmp_path, 'take', features.FPS)
        for image in _images(3):
            video.add(image)
        video.add(np.zeros(features.IMAGE_SHAPE, np.float32))  # the encoder cannot take it
        with pytest.raises(EncodingError, match='failed'):
            video.finish()
        # A joined thread leaves /proc a moment after pthread_join returns (longer on a loaded
        # machine); without the fix SVT's threads never leave.
        deadline = time.monotonic() + 10
        while not process_thread_ids() <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process_thread_ids() <= before
    finally:
        gc.enable()
