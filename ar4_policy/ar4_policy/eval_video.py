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
ar4-eval's ``combined.mp4`` and its ``--serve`` report server.

:class:`CombinedVideo` appends each episode's frames, as soon as the episode ends, to one H.264
MP4 with a label (episode, seed, outcome) burnt into every frame with Pillow's default font;
frames wider than :data:`MAX_WIDTH` are downscaled, so the file stays small. It is written as
``combined.mp4.partial.mp4`` and renamed when closed, so a half-written file never has the final
name. :func:`make_report_server` serves a folder on 127.0.0.1 with the standard library.
"""

import functools
import http.server
import os
from pathlib import Path
from typing import Optional, Union

import numpy as np

COMBINED_FILE = 'combined.mp4'
MAX_WIDTH = 320


def label_frame(image: np.ndarray, text: str, max_width: int = MAX_WIDTH) -> np.ndarray:
    """Return the RGB frame downscaled to ``max_width`` with ``text`` on a dark band on top."""
    from PIL import Image, ImageDraw

    picture = Image.fromarray(np.ascontiguousarray(image[..., :3]).astype(np.uint8))
    if picture.width > max_width:
        height = max(2, round(picture.height * max_width / picture.width))
        picture = picture.resize((max_width, height), Image.BILINEAR)
    draw = ImageDraw.Draw(picture)
    bottom = draw.textbbox((4, 3), text)[3]
    draw.rectangle((0, 0, picture.width, bottom + 3), fill=(0, 0, 0))
    draw.text((4, 3), text, fill=(255, 255, 255))
    return np.asarray(picture)


def episode_label(index: int, seed: int, success: bool, cube: Optional[str] = None) -> str:
    """Return the label burnt into an episode's frames; ``cube``: the instructed one, if shown."""
    instructed = f'  {cube}' if cube else ''
    return f'episode {index}  seed {seed}{instructed}  {"SUCCESS" if success else "FAILURE"}'


class CombinedVideo:
    """One MP4 of all episodes, each labelled; frames are encoded as episodes are added."""

    def __init__(self, path: Union[str, Path], fps: int, max_width: int = MAX_WIDTH):
        """Prepare ``path``; the file is opened with the first episode's frame size."""
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + '.partial.mp4')
        self.fps = int(fps)
        self.max_width = max_width
        self.frames = 0
        self._container = None
        self._stream = None

    def _open(self, height: int, width: int) -> None:
        import av

        self._container = av.open(str(self.partial), mode='w')
        self._stream = self._container.add_stream('libx264', rate=self.fps)
        self._stream.width = width - width % 2
        self._stream.height = height - height % 2
        self._stream.pix_fmt = 'yuv420p'
        self._stream.options = {'crf': '28', 'preset': 'veryfast'}

    def add_episode(self, frames, label: str) -> None:
        """Encode one episode's RGB frames with ``label`` burnt in."""
        import av

        for image in frames:
            labelled = label_frame(image, label, self.max_width)
            if self._container is None:
                self._open(*labelled.shape[:2])
            # Every episode has the first one's size (one twin camera); crop to even sizes.
            labelled = np.ascontiguousarray(labelled[:self._stream.height, :self._stream.width])
            for packet in self._stream.encode(av.VideoFrame.from_ndarray(labelled,
                                                                         format='rgb24')):
                self._container.mux(packet)
            self.frames += 1

    def close(self) -> bool:
        """Finish the file and give it its final name; return whether any frame was written."""
        if self._container is None:
            return False
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._container = None
        os.replace(self.partial, self.path)
        return True

    def abandon(self) -> None:
        """Close and delete the partial file (the evaluation did not finish)."""
        if self._container is not None:
            self._container.close()
            self._container = None
        if self.partial.exists():
            self.partial.unlink()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass  # one line per request would bury the URL printed at start


def make_report_server(folder: Union[str, Path], port: int) -> http.server.ThreadingHTTPServer:
    """Bind a server for ``folder`` on 127.0.0.1:``port`` (0: any free port); OSError if busy."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    return http.server.ThreadingHTTPServer(('127.0.0.1', port), handler)


def server_url(server: http.server.HTTPServer, page: str = '') -> str:
    """Return the URL of ``page`` on a bound server."""
    host, port = server.server_address[:2]
    return f'http://{host}:{port}/{page}'
