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
Encode one episode's camera frames to MP4 while the episode is recorded.

lerobot 0.4.4 stages every frame as a PNG, reads the PNGs back for the image statistics
(``compute_stats.sample_images``) and again to encode them (``video_utils.encode_video_frames``).
On a 2-core machine that round trip costs about as much CPU as the AV1 encoding itself: 13.5 ms
to write and 11 ms to read back a 480x640 frame, against 17 ms to encode it (ar4-generate's
profile, docs/results.md). ``EpisodeVideo`` hands the frames from memory to the same encoder
with the options ``encode_video_frames`` uses, so the MP4 is byte for byte the one lerobot
writes from PNGs, and keeps (on disk) the downsampled frames ``compute_episode_stats`` samples, so
the image statistics are identical too (``test_episode_video`` checks both against stock
lerobot). The writer passes the result to ``LeRobotDataset.save_episode`` through the branch
lerobot's own streaming encoder uses (``encoded_episode``).

lerobot's ``StreamingVideoEncoder`` is not used because it drops a frame whenever its queue
stays full for 0.1 s, and the dataset must hold every frame that was recorded; and because it
encodes one episode at a time, while the writer saves one episode in the background as the next
is recorded. Here each take has its own encoder thread, and ``add`` blocks instead of dropping
once ``max_queued`` frames wait (a memory bound: a 480x640 frame is 0.9 MB).
"""

from contextlib import contextmanager
import os
import queue
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Dict, Iterable, Optional, Set, Tuple

import numpy as np

#: Frames that may wait for the encoder before ``add`` blocks: 10 s at 30 fps, about 280 MB.
MAX_QUEUED_FRAMES = 300
#: lerobot 0.4.4's ``encode_video_frames`` defaults, which ``save_episode`` uses.
PIX_FMT = 'yuv420p'
GOP = 2
CRF = 30

_DONE = object()


class EncodingError(RuntimeError):
    """The video encoder failed; the message says how."""


class EpisodeVideo:
    """One camera's frames of one take, encoded on a thread as they arrive."""

    def __init__(self, root: Path, name: str, fps: int, vcodec: str = 'libsvtav1',
                 encoder_threads: Optional[int] = None,
                 max_queued: int = MAX_QUEUED_FRAMES):
        from lerobot.datasets.video_utils import resolve_vcodec
        # Where lerobot's own encoder puts its temporary episode video (_encode_video_worker):
        # save_episode moves the file into the dataset and removes the folder, and the writer's
        # repair removes a folder a crash left.
        self.folder = Path(tempfile.mkdtemp(dir=root))
        self.path = self.folder / f'{name}.mp4'
        self.fps = int(fps)
        self.vcodec = resolve_vcodec(vcodec)
        self.encoder_threads = encoder_threads
        self.frames = 0
        # Every frame downsampled as sample_images does (57.6 KB at 480x640), kept on disk
        # beside the video: which frames the stats sample depends on the final length.
        self._thumbs_path = self.folder / 'stats_frames.u8'
        self._thumb_shape: Optional[Tuple[int, ...]] = None
        self._thumbs = 0
        self._queue: 'queue.Queue' = queue.Queue(maxsize=max(1, max_queued))
        self._error: Optional[BaseException] = None
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._encode, name='ar4-encode', daemon=True)
        self._thread.start()

    def add(self, image: np.ndarray) -> None:
        """Queue one HxWx3 uint8 frame, which the caller must not modify afterwards."""
        if self._cancelled.is_set() or not self._put(image):
            self._raise_failure()
        self.frames += 1

    def _put(self, item) -> bool:
        """Queue ``item``, waiting while the queue is full; False once the encoder has stopped."""
        while self._error is None and not self._cancelled.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                if not self._thread.is_alive():
                    break
        return False

    def _raise_failure(self) -> None:
        if self._error is not None:
            raise EncodingError(f'encoding {self.path.name} failed: {self._error}')
        raise EncodingError(f'{self.path.name}: the take was discarded')

    def finish(self) -> Tuple[Path, Dict[str, np.ndarray]]:
        """
        Wait for the encoder; return the MP4 and its image statistics.

        The statistics are ``get_feature_stats`` over the frames ``sample_images`` would load
        (``sample_indices`` of the downsampled CHW frames), per channel on the 0-255 scale as
        lerobot's streaming branch of ``save_episode`` expects them.
        """
        from lerobot.datasets.compute_stats import (
            DEFAULT_QUANTILES, get_feature_stats, sample_indices)
        self._put(_DONE)
        self._thread.join()
        if self._error is not None or self._cancelled.is_set():
            self._raise_failure()
        if not self.path.is_file() or not self._thumbs:
            raise EncodingError(f'no video was written for {self.path.name}')
        thumbs = np.memmap(self._thumbs_path, np.uint8, 'r',
                           shape=(self._thumbs, *self._thumb_shape))
        frames = np.array(thumbs[sample_indices(self._thumbs)])
        del thumbs
        stats = get_feature_stats(frames, axis=(0, 2, 3), keepdims=True,
                                  quantile_list=DEFAULT_QUANTILES)
        return self.path, {key: value if key == 'count' else value.reshape(-1)
                           for key, value in stats.items()}

    def cancel(self) -> None:
        """Stop encoding and remove the temporary video."""
        self._cancelled.set()
        try:
            self._queue.put_nowait(_DONE)  # wakes the thread if it waits for a frame
        except queue.Full:
            pass  # it is not waiting: it sees the event after the frame at hand
        self._thread.join()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _encode(self) -> None:
        import av
        from lerobot.datasets.compute_stats import auto_downsample_height_width
        output = stream = None
        thumbs = None
        try:
            thumbs = open(self._thumbs_path, 'wb')
            while True:
                image = self._queue.get()
                if image is _DONE or self._cancelled.is_set():
                    break
                # Same conversion as encode_video_frames' VideoFrame.from_image of the RGB PNG.
                frame = av.VideoFrame.from_ndarray(image, format='rgb24')
                if output is None:
                    before = process_thread_ids()
                    output, stream = self._open(av, image.shape)
                output.mux(stream.encode(frame))
                if self._thumbs % self.fps == 0:
                    # The encoder starts its threads with the first frame and raises the
                    # priority of this one too; look again once a second of video.
                    demote_realtime_threads(
                        (process_thread_ids() - before) | {threading.get_native_id()})
                thumb = auto_downsample_height_width(image.transpose(2, 0, 1))
                thumb = np.ascontiguousarray(thumb)
                thumbs.write(thumb.data)
                self._thumb_shape = thumb.shape
                self._thumbs += 1
            if output is not None:
                output.mux(stream.encode())  # also when cancelled: SVT-AV1 complains otherwise
        except BaseException as error:  # noqa: B902 - reported by add() and finish()
            self._error = error
            if output is not None:
                try:
                    stream.encode()  # end of stream: SVT-AV1's threads end with it
                except Exception:  # noqa: B902 - the first error is the one to report
                    pass
        finally:
            if thumbs is not None:
                thumbs.close()
            if output is not None:
                output.close()
            # The encoder (and SVT-AV1's threads) is freed with the last reference to the
            # stream. Drop ours now: the traceback kept in self._error holds this frame, which
            # makes the stream cyclic garbage, and a process that forks (flake8's pool in the test
            # suite) before the collector ran would free it in the child, where SVT waits forever
            # for threads that fork did not copy (svt_av1_enc_deinit, seen with py-spy).
            output = stream = frame = image = None

    def _open(self, av, shape: Tuple[int, ...]):
        """Open the MP4 with ``encode_video_frames``' options (lerobot 0.4.4, video_utils)."""
        from lerobot.datasets.video_utils import _get_codec_options
        options = _get_codec_options(self.vcodec, GOP, CRF, None)
        if self.encoder_threads is not None:
            if self.vcodec == 'libsvtav1':
                options['svtav1-params'] = f'lp={self.encoder_threads}'
            else:
                options['threads'] = str(self.encoder_threads)
        output = av.open(str(self.path), 'w')
        stream = output.add_stream(self.vcodec, self.fps, options=options)
        stream.pix_fmt = PIX_FMT
        stream.height, stream.width = shape[:2]
        return output, stream


def process_thread_ids() -> Set[int]:
    """Return the kernel ids of every thread of this process (empty where /proc has none)."""
    try:
        return {int(name) for name in os.listdir('/proc/self/task')}
    except OSError:  # not Linux
        return set()


def demote_realtime_threads(thread_ids: Iterable[int]) -> int:
    """
    Move those of ``thread_ids`` that run with a real-time policy to the normal one.

    SVT-AV1 (the encoder lerobot uses) gives its threads SCHED_FIFO priority 99 whenever the
    process may (root with CAP_SYS_NICE, e.g. a privileged container; without it SVT warns
    "Failed to set thread priority" and carries on). There they preempt everything else on the
    machine: the recorder's ROS callbacks, the renderer and physics of ar4-generate (which ran
    1.3x slower for it on 2 cores), a training run beside it. Returns how many were moved.
    """
    moved = 0
    for thread_id in thread_ids:
        try:
            if os.sched_getscheduler(thread_id) in (os.SCHED_FIFO, os.SCHED_RR):
                os.sched_setscheduler(thread_id, os.SCHED_OTHER, os.sched_param(0))
                moved += 1
        except (OSError, AttributeError):  # the thread ended, or no such call here
            pass
    return moved


class _Encoded:
    """Stands in for lerobot's streaming encoder with videos that are already encoded."""

    def __init__(self, videos: Dict[str, Tuple[Path, Dict[str, np.ndarray]]]):
        self._videos = videos

    def finish_episode(self) -> Dict[str, Tuple[Path, Dict[str, np.ndarray]]]:
        return self._videos

    def cancel_episode(self) -> None:
        """Nothing to cancel: the videos are already encoded."""

    close = cancel_episode


@contextmanager
def encoded_episode(dataset, videos: Dict[str, Tuple[Path, Dict[str, np.ndarray]]]):
    """
    Let ``LeRobotDataset.save_episode`` take already encoded videos, within the block.

    lerobot 0.4.4's ``save_episode`` asks ``dataset._streaming_encoder.finish_episode()`` for
    ``{video_key: (mp4 path, per-channel stats)}`` when that attribute is set, and then stores
    the videos and their stats exactly as for its own streaming encoder (the ``use_streaming``
    branch). The attribute is set for the block only: ``finalize`` would close it.
    """
    dataset._streaming_encoder = _Encoded(videos)
    try:
        yield
    finally:
        dataset._streaming_encoder = None
