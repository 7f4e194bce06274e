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
Benchmark the recording path at 480x640: core + writer throughput, overhead, save latency.

Prints figures; not a test. Run: ``python benchmarks/bench_recording.py [--episode-seconds 60]``.
"""

import argparse
from pathlib import Path
import shutil
import statistics
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / 'ar4_teleop'), str(ROOT / 'ar4_description')]

from ar4_teleop.recording.commanded import TrajectoryWindow  # noqa: E402
from ar4_teleop.recording.features import (  # noqa: E402
    dataset_features, FPS, IMAGE_SHAPE, ROBOT_TYPE)
from ar4_teleop.recording.sync import FrameAssembler  # noqa: E402
from ar4_teleop.recording.writer import DatasetWriter  # noqa: E402
import numpy as np  # noqa: E402

PERIOD = 1_000_000_000 // FPS


def _images(count):
    """Return camera-like frames: a gradient scene with sensor noise (no encoder can cheat)."""
    rng = np.random.default_rng(0)
    base = np.linspace(0, 200, IMAGE_SHAPE[1], dtype=np.float32)[None, :, None]
    base = np.broadcast_to(base, IMAGE_SHAPE)
    return [np.clip(base + rng.normal(0, 4, IMAGE_SHAPE), 0, 255).astype(np.uint8)
            for _ in range(count)]


def bench_core_writer(root, images, frames, paced):
    """Return (fps, median ms per frame, dropped) for the assembler + writer."""
    assembler = FrameAssembler('bench', 'command')
    assembler.add_trajectory(TrajectoryWindow(0, np.array([PERIOD]), np.zeros((1, 6))), 0)
    assembler.add_gripper_target(0, 0.0)
    times = []
    with DatasetWriter.open(root, log=lambda m: None) as writer:
        assembler.start_episode()
        start = time.perf_counter()
        for i in range(frames):
            if paced:
                delay = start + i / FPS - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            t0 = time.perf_counter()
            assembler.add_state(i * PERIOD, np.zeros(7))
            for frame in assembler.add_image(i * PERIOD, images[i % len(images)]):
                writer.add_frame(frame)
            times.append(time.perf_counter() - t0)
        take = writer._take
        take.wait_for_images()  # image features: PNG staging
        for video in take.videos.values():  # video features: encoding as the frames arrive
            video.finish()
        elapsed = time.perf_counter() - start
        written = writer.frames_in_episode
        writer.discard_episode()
    return frames / elapsed, 1000 * statistics.median(times), frames - written


def bench_lerobot_direct(root, images, frames):
    """Return the median ms per LeRobotDataset.add_frame with 4 image-writer threads."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    dataset = LeRobotDataset.create('bench/direct', FPS, dataset_features(), root=root,
                                    robot_type=ROBOT_TYPE, image_writer_threads=4)
    times = []
    for i in range(frames):
        frame = {'observation.images.wrist_camera': images[i % len(images)],
                 'observation.state': np.zeros(7, np.float32),
                 'action': np.zeros(7, np.float32), 'task': 'bench'}
        t0 = time.perf_counter()
        dataset.add_frame(frame)
        times.append(time.perf_counter() - t0)
    dataset._wait_image_writer()
    dataset.stop_image_writer()
    return 1000 * statistics.median(times)


def bench_save(root, images, frames):
    """Return (seconds until the next take can start, seconds until durable)."""
    from ar4_teleop.recording.features import build_frame
    with DatasetWriter.open(root, log=lambda m: None) as writer:
        for i in range(frames):
            writer.add_frame(build_frame(images[i % len(images)], np.zeros(7), np.zeros(7),
                                         'bench'))
        pressed = time.perf_counter()
        future = writer.save_episode_async()
        writer.add_frame(build_frame(images[0], np.zeros(7), np.zeros(7), 'bench'))
        armable = time.perf_counter() - pressed
        saved = future.result()
        durable = time.perf_counter() - pressed
        writer.discard_episode()
    return armable, durable, saved


def main():
    """Run the benchmarks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--frames', type=int, default=300, help='frames for throughput runs')
    parser.add_argument('--episode-seconds', type=float, default=60.0,
                        help='length of the episode whose save is timed (default 60)')
    parser.add_argument('--repeats', type=int, default=3, help='repeats for the medians')
    args = parser.parse_args()
    images = _images(30)
    work = Path(tempfile.mkdtemp(prefix='ar4-bench-'))
    try:
        free, paced, direct = [], [], []
        for r in range(args.repeats):
            free.append(bench_core_writer(work / f'free{r}', images, args.frames, False))
            paced.append(bench_core_writer(work / f'paced{r}', images, args.frames, True))
            direct.append(bench_lerobot_direct(work / f'direct{r}', images, args.frames))
        print(f'core+writer unpaced: {statistics.median(f[0] for f in free):.1f} fps sustained '
              f'(incl. video encoding), median {statistics.median(f[1] for f in free):.2f} '
              'ms/frame')
        print(f'core+writer paced at {FPS} fps for {args.frames} frames: '
              f'{statistics.median(p[0] for p in paced):.1f} fps, dropped '
              f'{max(p[2] for p in paced)}')
        ours = statistics.median(f[1] for f in free)
        theirs = statistics.median(direct)
        print(f'LeRobotDataset.add_frame direct: median {theirs:.2f} ms/frame; '
              f'overhead of core+writer: {ours - theirs:+.2f} ms/frame')
        frames = int(args.episode_seconds * FPS)
        armable, durable, saved = bench_save(work / 'save', images, frames)
        print(f'{frames}-frame episode: next episode armable {armable:.3f} s after save; '
              f'durable on disk after {durable:.1f} s (background save {saved.save_seconds:.1f} '
              's)')
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
