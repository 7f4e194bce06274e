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
Live view of the recording in Rerun (``display_data``, as ``lerobot-record --display_data``).

Each written frame sends the wrist image, the joint states and actions (one scalar series per
joint) and the episode and frame counters to a Rerun recording stream, on the timelines
``frame`` (index in the take) and ``episode``. Where the stream goes, ``target``:

- ``serve`` (default): this process serves it, gRPC on GRPC_PORT and the web viewer on
  WEB_PORT; open ``http://localhost:WEB_PORT`` (the Docker service publishes both ports on the
  host's localhost only), or ``rerun --connect rerun+http://localhost:GRPC_PORT/proxy``.
- ``rerun+http://HOST:PORT/proxy``: connect to a native viewer listening there (``rerun`` on
  the host).
- a path ending in ``.rrd``: write the stream to that file (open it later with ``rerun FILE``).
"""

from typing import Optional

from ar4_teleop.recording.features import ACTION_KEY, IMAGE_KEY, STATE_KEY
import numpy as np

GRPC_PORT = 9876
WEB_PORT = 9090
APPLICATION_ID = 'ar4_record'
JPEG_QUALITY = 75


class LiveView:
    """Stream written frames to Rerun; see the module docstring for ``target``."""

    def __init__(self, target: str = 'serve', joint_names=None, compress: bool = True,
                 grpc_port: int = GRPC_PORT, web_port: int = WEB_PORT):
        import rerun as rr

        self._rr = rr
        self.names = list(joint_names or [f'joint_{i + 1}' for i in range(6)] + ['gripper'])
        self.compress = compress
        self.stream = rr.RecordingStream(APPLICATION_ID)
        self.url: Optional[str] = None
        target = (target or 'serve').strip()
        if target == 'serve':
            self.url = self.stream.serve_grpc(grpc_port=grpc_port)
            rr.serve_web_viewer(web_port=web_port, open_browser=False, connect_to=self.url)
            self.where = f'http://localhost:{web_port} (gRPC {self.url})'
        elif target.startswith('rerun'):
            self.stream.connect_grpc(url=target)
            self.where = target
        elif target.endswith('.rrd'):
            self.stream.save(target)
            self.where = target
        else:
            raise ValueError(f'display target must be serve, a rerun+http:// URL or a .rrd '
                             f'path, got {target!r}')

    def __call__(self, frame: dict, episode_index: int, frames_in_episode: int) -> None:
        """Send one written frame (``frames_in_episode`` counts it)."""
        rr, stream = self._rr, self.stream
        stream.set_time('episode', sequence=int(episode_index))
        stream.set_time('frame', sequence=int(frames_in_episode) - 1)
        image = rr.Image(np.asarray(frame[IMAGE_KEY]))
        stream.log('camera/wrist', image.compress(jpeg_quality=JPEG_QUALITY)
                   if self.compress else image)
        for group, key in (('state', STATE_KEY), ('action', ACTION_KEY)):
            values = np.asarray(frame[key], dtype=np.float64)
            for name, value in zip(self.names, values):
                stream.log(f'{group}/{name}', rr.Scalars(value))
        stream.log('counters/episode', rr.Scalars(float(episode_index)))
        stream.log('counters/frame', rr.Scalars(float(frames_in_episode)))

    def close(self) -> None:
        """Flush what was sent and end the stream."""
        self.stream.flush()
        self.stream.disconnect()
