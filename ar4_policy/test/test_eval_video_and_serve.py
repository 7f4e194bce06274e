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

"""ar4-eval's combined.mp4 (labelled, downscaled) and its --serve report server, quickly."""

import socket
import threading
import urllib.request

from ar4_policy.eval_video import (
    CombinedVideo, episode_label, label_frame, make_report_server, server_url)
from ar4_policy.evaluate import main
import numpy as np
import pytest


def test_label_is_burnt_in_and_wide_frames_are_downscaled():
    image = np.full((480, 640, 3), 200, dtype=np.uint8)
    labelled = label_frame(image, episode_label(3, 13, True), max_width=320)
    assert labelled.shape == (240, 320, 3) and labelled.dtype == np.uint8
    band = labelled[:14]
    assert band.max() >= 230 and band.min() == 0  # white (antialiased) text, black band
    assert (labelled[100:] == 200).all()  # the picture below is untouched
    assert episode_label(3, 13, False) == 'episode 3  seed 13  FAILURE'


def test_combined_video_holds_every_episode_frame(tmp_path):
    import av

    video = CombinedVideo(tmp_path / 'combined.mp4', fps=30)
    assert video.close() is False and not (tmp_path / 'combined.mp4').exists()
    video = CombinedVideo(tmp_path / 'combined.mp4', fps=30)
    frames = [np.full((96, 128, 3), v, dtype=np.uint8) for v in range(0, 250, 50)]
    video.add_episode(frames[:2], episode_label(0, 0, True))
    video.add_episode(frames[2:], episode_label(1, 1, False))
    assert video.close() is True
    assert not video.partial.exists()
    with av.open(str(tmp_path / 'combined.mp4')) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == 'h264'
        decoded = [f.to_ndarray(format='rgb24') for f in container.decode(stream)]
    assert len(decoded) == 5 and decoded[0].shape == (96, 128, 3)
    # Below the label band each frame keeps its own grey level.
    assert [int(round(f[60:, :].mean())) for f in decoded] == pytest.approx(
        [0, 50, 100, 150, 200], abs=3)


def test_report_server_serves_the_folder_on_localhost(tmp_path):
    (tmp_path / 'report.html').write_text('<h1>report</h1>')
    server = make_report_server(tmp_path, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert server.server_address[0] == '127.0.0.1'
        url = server_url(server, 'report.html')
        assert url.startswith('http://127.0.0.1:') and url.endswith('/report.html')
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and response.read() == b'<h1>report</h1>'
        with urllib.request.urlopen(server_url(server), timeout=10) as response:
            assert b'report.html' in response.read()  # the folder listing
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_bad_serve_port_is_one_error_line_and_exit_2(tmp_path, capsys):
    assert main(['--policy', str(tmp_path), '--task', 't', '--out', str(tmp_path / 'o'),
                 '--serve', '70000']) == 2
    assert capsys.readouterr().err == ('ar4-eval: error: --serve must be a port in 0..65535, '
                                       'got 70000\n')
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        # Refused before any episode runs (the policy folder here holds no checkpoint).
        assert main(['--policy', str(tmp_path), '--task', 't', '--out', str(tmp_path / 'o'),
                     '--serve', str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f'ar4-eval: error: --serve {port}: cannot listen on 127.0.0.1')
    assert 'Traceback' not in err
    assert main(['--policy', str(tmp_path), '--task', 't', '--out', str(tmp_path / 'o'),
                 '--log-every-n-inferences', '-1']) == 2
    assert '--log-every-n-inferences must be >= 0' in capsys.readouterr().err
